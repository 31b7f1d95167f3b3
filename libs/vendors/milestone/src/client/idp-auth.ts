import { z } from 'zod';
import type { Logger } from 'pino';
import { authError, EdgeError, errorKind, permanent, retryable, describeError } from '@edge/platform';
import { errorForStatus, type HttpTransport, type HttpResponse } from './http';
import { ntlmPost } from './ntlm';
import type { TlsOptions } from './tls';

/** Token paths in the order tried: via the gateway, then the IDP directly (§2, §7.2). */
export const TOKEN_PATHS = ['/API/IDP/connect/token', '/IDP/connect/token'] as const;
/** Windows users: the management server's IDP directly; the gateway does not pass NTLM through. */
export const WINDOWS_TOKEN_PATH = '/IDP/connect/token';

/** `basic`: password grant (XProtect basic users); `windows`: windows_credentials grant over NTLM (AD users). */
export type XProtectAuthMode = 'basic' | 'windows';

const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).default(3600),
  token_type: z.string().optional(),
  scope: z.string().optional(),
});

const OAuthError = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
  error_code: z.string().optional(),
});

const WellKnownUris = z.record(z.string(), z.unknown());
const OidcConfig = z.looseObject({ token_endpoint: z.string().url() });

export interface IdpAuthOptions {
  /** Gateway root (`https://host`). */
  root: string;
  username: string;
  password: string;
  clientId: string;
  /** Default `basic`. */
  mode?: XProtectAuthMode;
  /** TLS of the NTLM connection (windows mode). */
  tls?: TlsOptions;
  /** Explicit token path or URL; unset → the two well-known paths, then `.well-known` discovery. */
  tokenPath?: string;
  http: HttpTransport;
  log: Logger;
  /** After a credentials refusal, no new attempt for this long (never lock an account). */
  authRetryAfterMs: number;
  /** Lockout / change-password need a human: wait longer. */
  accountProblemRetryAfterMs: number;
  timeoutMs?: number;
  now?: () => number;
}

interface Token {
  value: string;
  obtainedAt: number;
  expiresAt: number;
  renewAt: number;
}

/**
 * Bearer tokens from the XProtect identity provider (password grant, GrantValidatorClient).
 * No refresh token exists for this client: a token is renewed by posting the credentials again
 * shortly before `expires_in` runs out (§2). Renewal is single-flight; a refused credential is
 * remembered and not retried before `authRetryAfterMs`, so a wrong password never hammers the IDP.
 */
export class IdpAuth {
  private token: Token | null = null;
  private inflight: Promise<Token> | null = null;
  private refusal: { error: EdgeError; until: number } | null = null;
  private resolvedTokenUrl: string | null = null;
  private requests = 0;
  private readonly now: () => number;

  constructor(private readonly o: IdpAuthOptions) {
    this.now = o.now ?? Date.now;
  }

  /** A token valid for a while yet; renews (single flight) when it is due. */
  async getToken(signal?: AbortSignal): Promise<string> {
    const t = this.token;
    const now = this.now();
    if (t && now < t.renewAt) return t.value;
    try {
      return (await this.renew(signal)).value;
    } catch (e) {
      // Renewal failed for a transient reason but the old token still works: keep using it.
      if (t && now < t.expiresAt - 1000 && errorKind(e) === 'retryable') return t.value;
      throw e;
    }
  }

  /** The server refused `token` (401): drop it so the next `getToken` fetches a new one. */
  invalidate(token: string): void {
    if (this.token?.value === token) this.token = null;
  }

  /** Forget a remembered credentials refusal (e.g. after the password was fixed in config). */
  clearRefusal(): void {
    this.refusal = null;
  }

  state(): { has_token: boolean; expires_at: string | null; token_url: string | null; refused: string | null; token_requests: number } {
    return {
      has_token: this.token !== null,
      expires_at: this.token ? new Date(this.token.expiresAt).toISOString() : null,
      token_url: this.resolvedTokenUrl,
      refused: this.refusal ? describeError(this.refusal.error) : null,
      token_requests: this.requests,
    };
  }

  private renew(signal?: AbortSignal): Promise<Token> {
    if (this.refusal && this.now() < this.refusal.until) return Promise.reject(this.refusal.error);
    this.inflight ??= this.fetchToken(signal)
      .then((t) => {
        this.token = t;
        this.refusal = null;
        return t;
      })
      .catch((e: unknown) => {
        if (errorKind(e) === 'auth' && e instanceof EdgeError) {
          const wait = /locked_out|change_password/.test(e.code) ? this.o.accountProblemRetryAfterMs : this.o.authRetryAfterMs;
          this.refusal = { error: e, until: this.now() + wait };
          this.token = null;
          this.o.log.error({ err: describeError(e), retry_in_ms: wait }, 'XProtect identity provider refused the credentials; not retrying before the wait is over');
        }
        throw e;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  private async fetchToken(signal?: AbortSignal): Promise<Token> {
    if (this.resolvedTokenUrl) return this.post(this.resolvedTokenUrl, signal);
    if (this.o.mode === 'windows') {
      const url = this.absolute(this.o.tokenPath ?? WINDOWS_TOKEN_PATH);
      const t = await this.post(url, signal).catch((e: unknown) => {
        if (e instanceof EdgeError && e.code === 'idp_path_not_found') throw permanent('idp_path_not_found', `Windows token endpoint ${new URL(url).pathname} answered 404 (it is on the management server, not the API Gateway: set token_path to its URL)`);
        throw e;
      });
      this.resolvedTokenUrl = url;
      return t;
    }
    const candidates = this.o.tokenPath ? [this.absolute(this.o.tokenPath)] : TOKEN_PATHS.map((p) => `${this.o.root}${p}`);
    for (const url of candidates) {
      const t = await this.post(url, signal).catch((e: unknown) => {
        if (e instanceof EdgeError && e.code === 'idp_path_not_found') return null;
        throw e;
      });
      if (t) {
        this.resolvedTokenUrl = url;
        return t;
      }
    }
    if (this.o.tokenPath) throw permanent('idp_path_not_found', `token endpoint ${this.o.tokenPath} answered 404`);
    const discovered = await this.discoverTokenUrl(signal);
    const t = await this.post(discovered, signal);
    this.resolvedTokenUrl = discovered;
    return t;
  }

  private absolute(pathOrUrl: string): string {
    return /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : `${this.o.root}${pathOrUrl.startsWith('/') ? '' : '/'}${pathOrUrl}`;
  }

  private async post(url: string, signal?: AbortSignal): Promise<Token> {
    const windows = this.o.mode === 'windows';
    const form: Record<string, string> = windows
      ? { grant_type: 'windows_credentials', client_id: this.o.clientId }
      : { grant_type: 'password', username: this.o.username, password: this.o.password, client_id: this.o.clientId };
    const body = new URLSearchParams(form).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    this.requests++;
    const started = this.now();
    const res = windows
      ? await ntlmPost(url, body, { username: this.o.username, password: this.o.password, tls: this.o.tls ?? { rejectUnauthorized: true }, timeoutMs: this.o.timeoutMs ?? 60_000, signal, headers })
      : await this.o.http.request('POST', url, { headers, body, timeoutMs: this.o.timeoutMs, signal });
    if (res.status === 404 || res.status === 405) throw permanent('idp_path_not_found', `${new URL(url).pathname} answered ${res.status}`);
    if (res.status >= 200 && res.status < 300) {
      const parsed = TokenResponse.safeParse(safeJson(res.text));
      if (!parsed.success) throw retryable('idp_bad_response', `token endpoint answered ${res.status} without a usable access_token`);
      const lifetimeMs = Math.max(1, parsed.data.expires_in) * 1000;
      // Renew 60 s early (as the official samples do), or at half-life for short-lived tokens.
      const margin = Math.min(60_000, lifetimeMs / 2);
      return { value: parsed.data.access_token, obtainedAt: started, expiresAt: started + lifetimeMs, renewAt: started + lifetimeMs - margin };
    }
    throw this.refusalError(res);
  }

  private refusalError(res: HttpResponse): EdgeError {
    const user = this.o.username;
    if (res.status === 401 && this.o.mode === 'windows')
      return authError('idp_invalid_credentials', `XProtect Windows authentication (NTLM) rejected "${user}" (401): check the domain account and its password`);
    const err = OAuthError.safeParse(safeJson(res.text));
    if (err.success) {
      const code = (err.data.error_code ?? '').toLowerCase();
      const desc = err.data.error_description ?? err.data.error;
      if (code === 'lockedout') return authError('idp_locked_out', `XProtect account "${user}" is locked out (${desc}); an administrator must unlock it`);
      if (code === 'changepassword') return authError('idp_change_password', `XProtect requires a password change for "${user}" (${desc}) before it can log in`);
      if (err.data.error === 'invalid_grant' || code === 'invalidcredentials' || /invalidcredential/i.test(res.text))
        return authError('idp_invalid_credentials', `XProtect rejected the username or password of "${user}" (${desc})`);
      if (err.data.error === 'invalid_client' || err.data.error === 'unauthorized_client')
        return authError('idp_invalid_client', `XProtect identity provider rejected client_id "${this.o.clientId}" (${desc})`);
      return errorForStatus(res.status, `idp_${res.status}`, `token request failed: ${err.data.error} (${desc})`, res.headers);
    }
    if (res.status === 401) return authError('idp_invalid_credentials', `XProtect rejected the credentials of "${user}" (401)`);
    return errorForStatus(res.status, `idp_${res.status}`, `token request failed with HTTP ${res.status}`, res.headers);
  }

  /** `/api/.well-known/uris` → IdentityProvider → OIDC `token_endpoint` (§1 discovery). */
  private async discoverTokenUrl(signal?: AbortSignal): Promise<string> {
    for (const p of ['/api/.well-known/uris', '/.well-known/uris']) {
      const res = await this.o.http.request('GET', `${this.o.root}${p}`, { headers: { accept: 'application/json' }, signal, timeoutMs: this.o.timeoutMs });
      if (res.status !== 200) continue;
      const uris = WellKnownUris.safeParse(safeJson(res.text));
      if (!uris.success) continue;
      const idp = Object.entries(uris.data).find(([k]) => k.toLowerCase() === 'identityprovider')?.[1];
      if (typeof idp !== 'string') continue;
      const oidc = await this.o.http.request('GET', `${idp.replace(/\/+$/, '')}/.well-known/openid-configuration`, { headers: { accept: 'application/json' }, signal, timeoutMs: this.o.timeoutMs });
      const cfg = OidcConfig.safeParse(safeJson(oidc.text));
      if (oidc.status === 200 && cfg.success) return cfg.data.token_endpoint;
    }
    throw permanent('idp_not_found', `no token endpoint at ${TOKEN_PATHS.join(' or ')} and none announced by .well-known discovery`);
  }
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
