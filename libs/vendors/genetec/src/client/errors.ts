import { authError, permanent, retryable, type EdgeError } from '@edge/platform';

/** Error codes of the Genetec client: one per cause an operator acts on differently. */
export const GENETEC_ERRORS = {
  /** 403: the licence lacks the Web SDK option or the SDK certificate's part number. */
  licence: 'genetec_licence_refused',
  /** The user lacks a privilege (e.g. "Log on using the SDK") or rights on the entities. */
  privilege: 'genetec_privilege_missing',
  /** 401 on a fresh session: wrong user, password or ApplicationId. */
  credentials: 'genetec_credentials_refused',
  /** The server dropped the session (idle): the client signs in again once. */
  sessionExpired: 'genetec_session_expired',
  failed: 'genetec_request_failed',
  http: 'genetec_http',
  badAnswer: 'genetec_bad_answer',
} as const;

const PRIVILEGE = /privilege|permission|insufficient|access ?denied|not ?allowed|rights/i;
const SESSION = /session/i;
const LICENCE = /licen[cs]e|certificate|part ?number|application ?id/i;

/** `{Rsp:{Status,Result}}` (text/json) or the legacy `{rsp:{status,…}}`: read case-insensitively. */
export interface RspEnvelope {
  status: string;
  result: unknown;
  errorCode: string | null;
  message: string | null;
}

function ci(o: unknown, key: string): unknown {
  if (!o || typeof o !== 'object') return undefined;
  const k = Object.keys(o).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : (o as Record<string, unknown>)[k];
}

/** Reads the Rsp envelope of an answer body; null when the body is not one. */
export function readEnvelope(text: string): RspEnvelope | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  const rsp = ci(body, 'Rsp');
  const status = ci(rsp, 'Status');
  if (typeof status !== 'string') return null;
  const result = ci(rsp, 'Result');
  const err = ci(rsp, 'Error') ?? (status.toLowerCase() === 'fail' ? result : undefined);
  const code = ci(err, 'SdkErrorCode') ?? ci(err, 'Code');
  const message = ci(err, 'Message');
  return { status, result, errorCode: typeof code === 'string' || typeof code === 'number' ? String(code) : null, message: typeof message === 'string' ? message : null };
}

function detail(env: RspEnvelope | null, text: string): string {
  if (env?.errorCode || env?.message) return [env.errorCode, env.message].filter(Boolean).join(': ');
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

/**
 * The error of a non-OK answer, by kind. Licence and privilege refusals are `auth` (pause, ask
 * again slowly) with distinct codes and messages saying what to fix; a dropped session is told
 * apart so the client signs in again once. Which body the server sends with each is inference
 * (public material names only "403 without the licence part"), so classification reads
 * status, error code and message together.
 */
export function errorForAnswer(what: string, status: number, text: string, retryAfterMs?: number): EdgeError {
  const env = readEnvelope(text);
  const said = detail(env, text);
  const codeAndMessage = `${env?.errorCode ?? ''} ${env?.message ?? ''}`;
  if (SESSION.test(codeAndMessage) && (status === 401 || status === 200 || status === 440)) return retryable(GENETEC_ERRORS.sessionExpired, `${what}: the Web SDK session expired (${said})`);
  if (PRIVILEGE.test(codeAndMessage) || (status === 403 && PRIVILEGE.test(text) && !LICENCE.test(text)))
    return authError(GENETEC_ERRORS.privilege, `${what}: the Security Center user lacks a privilege (${said}); grant "Log on using the SDK" and read rights on the listed entity types`);
  if (status === 403)
    return authError(GENETEC_ERRORS.licence, `${what}: Security Center refused the Web SDK connection (403: ${said}); the licence needs the Web SDK option and the SDK certificate's part number, and application_id must be that certificate's ApplicationId`);
  if (status === 401) return authError(GENETEC_ERRORS.credentials, `${what}: Security Center refused the user, password or ApplicationId (401); Active Directory users cannot sign in to the Web SDK`);
  if (status === 408 || status === 429 || status >= 500 || status === 0) return retryable(GENETEC_ERRORS.http, `${what}: HTTP ${status} ${said}`, { retryAfterMs });
  if (status >= 200 && status < 300) return permanent(GENETEC_ERRORS.failed, `${what}: the Web SDK answered Fail (${said})`);
  return permanent(GENETEC_ERRORS.http, `${what}: HTTP ${status} ${said}`);
}
