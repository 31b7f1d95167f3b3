import { EdgeError, parseRetryAfter, type ErrorKind } from '@edge/platform';
import { OpenAccessErrorBody } from '../raw-schema';

/** OpenAccess error codes the reference shows (§1.8). */
export const OA_CODES = {
  licence: 'openaccess.general.invalidapplicationid',
  session: 'openaccess.general.invalidsessiontoken',
  requestItem: 'openaccess.general.invalidrequestitem',
  notFound: 'system.not_found',
} as const;

export interface OpenAccessErrorDetails {
  status?: number;
  /** `error.code` of the body, when there was one. */
  oaCode?: string;
  /** The session is gone: log in again (invalidsessiontoken, or a 401 without a body). */
  sessionInvalid?: boolean;
  /** The licence / Application-Id was refused. */
  licence?: boolean;
  /** The connection was reset or closed under the request (retry once at once). */
  socketReset?: boolean;
}

/** Every failure of an OpenAccess call: an EdgeError with a kind, plus what the client acts on. */
export class OpenAccessError extends EdgeError {
  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    readonly details: OpenAccessErrorDetails = {},
    opts: { cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(kind, code, message, opts);
    this.name = 'OpenAccessError';
  }
}

/** Reads `error.code`/`error.message` from an answer body, if it is an OpenAccess error body. */
export function parseErrorBody(text: string): { code: string; message: string } | null {
  if (!text || text.trim() === '') return null;
  try {
    const r = OpenAccessErrorBody.safeParse(JSON.parse(text));
    return r.success ? { code: r.data.error.code, message: r.data.error.message ?? '' } : null;
  } catch {
    return null;
  }
}

/**
 * Classifies a non-2xx answer. Licence refusals are `auth` (back off hard, alert); an invalid
 * session is retryable once after a new login; 408/429/5xx are retryable; any other 4xx is
 * permanent for that request.
 */
export function classifyHttpError(what: string, status: number, text: string, retryAfter?: string): OpenAccessError {
  const body = parseErrorBody(text);
  const code = body?.code;
  const msg = body ? `${body.code}: ${body.message}` : `HTTP ${status}${text && text.length < 200 && !/^\s*</.test(text) ? ` ${text.trim()}` : ''}`;
  if (code === OA_CODES.licence) return new OpenAccessError('auth', 'onguard_licence', `${what} refused: ${msg}`, { status, oaCode: code, licence: true });
  if (code === OA_CODES.session || (status === 401 && !body))
    return new OpenAccessError('retryable', 'onguard_session', `${what}: session not valid (${body ? code : 'HTTP 401 without a body'})`, { status, oaCode: code, sessionInvalid: true });
  if (status === 408 || status === 429 || status >= 500)
    return new OpenAccessError('retryable', `onguard_http_${status}`, `${what} failed: ${msg}`, { status, oaCode: code }, { retryAfterMs: parseRetryAfter(retryAfter) });
  if (status === 401 || status === 403) return new OpenAccessError('auth', 'onguard_forbidden', `${what} refused: ${msg}`, { status, oaCode: code });
  return new OpenAccessError('permanent', code ? `onguard_${code.replace(/^openaccess\.general\./, '')}` : `onguard_http_${status}`, `${what} failed: ${msg}`, { status, oaCode: code });
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'ERR_CANCELED']);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME_MISMATCH|DEPTH_ZERO|ALTNAME/;

/** Classifies a transport failure (no HTTP answer). */
export function classifyNetworkError(what: string, e: unknown): OpenAccessError {
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code ?? '';
  const message = String(err?.message ?? e);
  if (/maxContentLength size of \d+ exceeded/.test(message))
    return new OpenAccessError('permanent', 'onguard_answer_too_large', `${what}: answer larger than the client reads (${message}); lower page_size`, {}, { cause: e });
  if (TLS_CODES.test(code) || /certificate/i.test(message))
    return new OpenAccessError('permanent', 'onguard_tls', `${what}: TLS verification failed (${code || message}); set tls.ca_file to the server's CA, tls.servername to the name in its certificate (OnGuard's is the machine name), or pin it with tls.fingerprint_sha256`, {}, { cause: e });
  if (RESET_CODES.has(code) || /socket hang up|ECONNRESET|other side closed/i.test(message))
    return new OpenAccessError('retryable', 'onguard_socket_reset', `${what}: connection reset (${code || message})`, { socketReset: true }, { cause: e });
  if (NETWORK_CODES.has(code) || /timeout/i.test(message))
    return new OpenAccessError('retryable', 'onguard_network', `${what}: ${code || message}`, {}, { cause: e });
  return new OpenAccessError('retryable', 'onguard_network', `${what}: ${message}`, {}, { cause: e });
}
