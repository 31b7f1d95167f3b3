import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import axios, { type AxiosInstance } from 'axios';
import type { Logger } from 'pino';
import { z } from 'zod';
import { toUtcIso } from '@edge/contracts';
import { backoffDelay, Counters, retry, RETRY_POLICIES, sleep } from '@edge/platform';
import {
  ExecuteMethodResponse,
  LoginResponse,
  PasswordPolicyResponse,
  SessionResponse,
  VersionResponse,
} from '../raw-schema';
import { classifyHttpError, classifyNetworkError, OpenAccessError, parseErrorBody } from './errors';
import { RateLimiter, Semaphore } from './limiter';
import { CallMeter } from './call-meter';
import { onGuardHttpsAgent } from './tls';
import { openAccessBase } from '../config';

export interface OpenAccessClientOptions {
  /** Server root or the OpenAccess root; `/api/access/onguard/openaccess` is appended when missing. */
  baseUrl: string;
  username: string;
  password: string;
  directoryId: string;
  applicationId: string;
  apiVersion?: string;
  tls?: { ca_file?: string; insecure?: boolean; servername?: string; fingerprint_sha256?: string };
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxConcurrency?: number;
  /** Retries of idempotent calls on retryable failures. */
  requestRetries?: number;
  renewBeforeMs?: number;
  keepaliveIntervalMs?: number;
  authBackoff?: { baseMs: number; capMs: number };
  /** Largest answer read (bytes); a larger one is refused instead of filling memory. */
  maxAnswerBytes?: number;
  /** Cap on OpenAccess calls per second, all methods together (0 = none). */
  maxCallsPerSecond?: number;
  /** Floor between session renewals (default MIN_RENEW_INTERVAL_MS; lower only in tests of renewal itself). */
  minRenewIntervalMs?: number;
  log: Logger;
}

export interface RequestOptions<T> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  schema: z.ZodType<T>;
  /** Send Session-Token (log in first). Default true. */
  auth?: boolean;
  /** Safe to repeat: retried on retryable failures. Default: GET. */
  idempotent?: boolean;
  signal?: AbortSignal;
  /** Do not count this call as activity for the idle timer (8.3 `do_not_reset_inactivity_timer`). */
  quiet?: boolean;
}

export type SessionState = 'none' | 'active' | 'blocked';

export interface ClientState {
  session: SessionState;
  token_expires_at: string | null;
  blocked_until: string | null;
  blocked_reason: string | null;
  last_error: string | null;
  last_ok_at: string | null;
  in_flight: number;
  /** OpenAccess calls per method over the last hour. */
  calls_last_hour: { total: number; by_method: Record<string, number> };
  /** `product_version` from `GET /version` (null until read). */
  server_version: string | null;
  /** When the session is renewed next (null: no renewal scheduled). */
  renew_at: string | null;
}

/** Never renew a session more often than this, whatever `token_expiration_time` says. */
export const MIN_RENEW_INTERVAL_MS = 60_000;

/**
 * `token_expiration_time` as a UTC instant, or why it cannot be trusted: a time without a zone
 * designator is ambiguous (server-local or UTC), one in the past would renew in a loop.
 */
export function readExpiry(text: string | null | undefined, now = Date.now()): { at: number | null; problem: string | null } {
  if (!text) return { at: null, problem: null };
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim())) return { at: null, problem: `token_expiration_time "${text}" has no time zone` };
  const at = Date.parse(toUtcIso(text) ?? '');
  if (Number.isNaN(at)) return { at: null, problem: `token_expiration_time "${text}" is not a time` };
  if (at <= now) return { at: null, problem: `token_expiration_time "${text}" is already past` };
  return { at, problem: null };
}

/** Agents whose sockets give up on a connect that takes longer than `connectTimeoutMs` (§1.8: 10 s). */
function timedAgent<A extends http.Agent>(agent: A, connectTimeoutMs: number): A {
  const create = agent.createConnection.bind(agent) as (o: unknown, cb?: unknown) => Duplex;
  (agent as unknown as { createConnection: (o: unknown, cb?: unknown) => Duplex }).createConnection = (o, cb) => {
    const s = create(o, cb);
    const t = setTimeout(() => s.destroy(Object.assign(new Error(`connect timeout after ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })), connectTimeoutMs);
    t.unref();
    s.once('connect', () => clearTimeout(t));
    s.once('secureConnect', () => clearTimeout(t));
    s.once('close', () => clearTimeout(t));
    return s;
  };
  return agent;
}

/**
 * OpenAccess REST client (reference §1): `version` on every call, `Application-Id` always,
 * `Session-Token` after login. One session per client: renewed before `token_expiration_time`,
 * kept alive inside the idle timeout, re-established once when the server says it is gone.
 * Licence and credential refusals block all calls for a growing, capped time so an account is
 * never locked by retries. Bounded concurrency; socket resets retried once at once.
 */
/**
 * A 2xx whose body is an OpenAccess error is an error: read as a page it would look like "no
 * devices of this type", and a complete sync built on it would report them all removed.
 */
function answered(res: { status: number; text: string }): boolean {
  return res.status >= 200 && res.status < 300 && parseErrorBody(res.text) === null;
}

/** The status an error answer is classified by: a 2xx carrying an error body counts as a server error. */
function effectiveStatus(res: { status: number; text: string }): number {
  return res.status >= 200 && res.status < 300 ? 500 : res.status;
}

export class OpenAccessClient {
  readonly apiBase: string;
  readonly counters = new Counters();
  private readonly http: AxiosInstance;
  private readonly agents: http.Agent[];
  private readonly limiter: Semaphore;
  private readonly rate: RateLimiter;
  readonly calls = new CallMeter();
  private readonly o: Required<Omit<OpenAccessClientOptions, 'tls' | 'log'>> & { tls: NonNullable<OpenAccessClientOptions['tls']> };
  private readonly log: Logger;
  private token: string | null = null;
  private tokenExpiresAt: number | null = null;
  private loginFlight: Promise<string> | null = null;
  private blockedUntil = 0;
  private blockedReason: string | null = null;
  private blockedError: OpenAccessError | null = null;
  private authFailures = 0;
  private lastActivity = 0;
  private lastError: string | null = null;
  private lastOkAt: number | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private keepaliveMs: number;
  private policyChecked = false;
  private closed = false;
  private serverVersion: string | null = null;
  private versionRead: Promise<void> | null = null;
  private renewAt: number | null = null;
  private readonly expiryProblems = new Set<string>();

  constructor(opts: OpenAccessClientOptions) {
    this.log = opts.log;
    this.o = {
      baseUrl: opts.baseUrl,
      username: opts.username,
      password: opts.password,
      directoryId: opts.directoryId,
      applicationId: opts.applicationId,
      apiVersion: opts.apiVersion ?? '1.0',
      tls: opts.tls ?? {},
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      maxConcurrency: opts.maxConcurrency ?? 8,
      requestRetries: opts.requestRetries ?? 3,
      renewBeforeMs: opts.renewBeforeMs ?? 5 * 60_000,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 5 * 60_000,
      authBackoff: opts.authBackoff ?? RETRY_POLICIES.vendorAuthRefused,
      // A 100-item page is well under 1 MB; 32 MB leaves room for servers that ignore paging.
      maxAnswerBytes: opts.maxAnswerBytes ?? 32 * 1024 * 1024,
      maxCallsPerSecond: opts.maxCallsPerSecond ?? 0,
      minRenewIntervalMs: opts.minRenewIntervalMs ?? MIN_RENEW_INTERVAL_MS,
    };
    this.rate = new RateLimiter(this.o.maxCallsPerSecond);
    this.keepaliveMs = this.o.keepaliveIntervalMs;
    this.apiBase = openAccessBase(opts.baseUrl);
    if (this.o.tls.insecure) this.log.warn({ base_url: opts.baseUrl }, 'TLS verification is OFF for this OnGuard system (tls.insecure: true)');
    const ca = this.o.tls.ca_file ? readFileSync(this.o.tls.ca_file) : undefined;
    const sockets = { keepAlive: true, maxSockets: this.o.maxConcurrency, maxFreeSockets: this.o.maxConcurrency };
    const httpAgent = timedAgent(new http.Agent(sockets), this.o.connectTimeoutMs);
    const httpsAgent = onGuardHttpsAgent({
      ca,
      insecure: this.o.tls.insecure,
      servername: this.o.tls.servername,
      fingerprint256: this.o.tls.fingerprint_sha256,
      connectTimeoutMs: this.o.connectTimeoutMs,
      agent: sockets,
    });
    this.agents = [httpAgent, httpsAgent];
    this.limiter = new Semaphore(this.o.maxConcurrency);
    this.http = axios.create({
      baseURL: this.apiBase,
      timeout: this.o.requestTimeoutMs,
      httpAgent,
      httpsAgent,
      proxy: false,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: this.o.maxAnswerBytes,
    });
  }

  // ------------------------------------------------------------------ state

  state(): ClientState {
    const blocked = Date.now() < this.blockedUntil;
    return {
      session: blocked ? 'blocked' : this.token ? 'active' : 'none',
      token_expires_at: this.tokenExpiresAt ? new Date(this.tokenExpiresAt).toISOString() : null,
      blocked_until: blocked ? new Date(this.blockedUntil).toISOString() : null,
      blocked_reason: blocked ? this.blockedReason : null,
      last_error: this.lastError,
      last_ok_at: this.lastOkAt ? new Date(this.lastOkAt).toISOString() : null,
      in_flight: this.limiter.inFlight,
      calls_last_hour: this.calls.lastHour(),
      server_version: this.serverVersion,
      renew_at: this.renewAt ? new Date(this.renewAt).toISOString() : null,
    };
  }

  /** When the client refuses calls after a licence/credential refusal (0 = not blocked). */
  get blockedUntilMs(): number {
    return Date.now() < this.blockedUntil ? this.blockedUntil : 0;
  }

  get applicationId(): string {
    return this.o.applicationId;
  }

  // ------------------------------------------------------------------ session

  /** The current session token, logging in first when there is none. */
  async sessionToken(): Promise<string> {
    if (this.closed) throw new OpenAccessError('permanent', 'onguard_closed', 'client closed');
    this.throwIfBlocked();
    if (this.token) return this.token;
    this.loginFlight ??= this.login().finally(() => {
      this.loginFlight = null;
    });
    return this.loginFlight;
  }

  /** Drops `stale` (if still current) and logs in again: the one re-login after invalidsessiontoken. */
  async reauthenticate(stale: string | null): Promise<string> {
    if (stale !== null && this.token === stale) this.dropToken();
    return this.sessionToken();
  }

  private dropToken(): void {
    this.token = null;
    this.tokenExpiresAt = null;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
  }

  private throwIfBlocked(): void {
    if (Date.now() < this.blockedUntil && this.blockedError) {
      this.counters.inc('calls_refused_while_blocked');
      throw new OpenAccessError('auth', this.blockedError.code, `${this.blockedError.message} (not retrying until ${new Date(this.blockedUntil).toISOString()})`, this.blockedError.details);
    }
  }

  /** A licence refusal seen elsewhere (the event bridge): the same pause as for REST calls. */
  refused(e: OpenAccessError): void {
    if (Date.now() < this.blockedUntil) return;
    this.block(e);
  }

  /** Refusals of the licence or the credentials: stop calling for a growing, capped time. */
  private block(e: OpenAccessError): void {
    this.authFailures++;
    const { baseMs, capMs } = this.o.authBackoff;
    const delay = Math.min(capMs, Math.max(baseMs, backoffDelay(this.authFailures - 1, { baseMs, capMs, floorMs: baseMs })));
    this.blockedUntil = Date.now() + delay;
    this.blockedReason = e.message;
    this.blockedError = e;
    this.dropToken();
    this.counters.inc(e.details.licence ? 'licence_refusals' : 'login_refusals');
    this.log.error(
      { code: e.code, retry_in_ms: delay, failures: this.authFailures },
      e.details.licence
        ? 'OnGuard refused the Application-Id (licence): calls paused; check the OpenAccess licence'
        : 'OnGuard refused the login: calls paused so the account is not locked; check user, password and directory_id',
    );
  }

  /** Server major version (7 for 7.5.x), once `/version` was read; null before. */
  get serverMajor(): number | null {
    const m = this.serverVersion ? /^(\d+)\./.exec(this.serverVersion) : null;
    return m ? Number(m[1]) : null;
  }

  /** `GET /version` (unauthenticated, 7.5 swagger) once: logged, shown in /status, gates 8.x features. */
  private readVersion(): Promise<void> {
    this.versionRead ??= this.request({ method: 'GET', path: '/version', schema: VersionResponse, auth: false })
      .then((v) => {
        this.serverVersion = v.product_version ?? null;
        this.log.info({ product_name: v.product_name ?? null, product_version: this.serverVersion }, 'OnGuard server version');
      })
      .catch((e: unknown) => {
        this.versionRead = null;
        this.log.warn({ err: (e as Error).message }, 'could not read the OnGuard version; 8.x-only parameters are not sent');
      });
    return this.versionRead;
  }

  /** An expiry problem is logged once per kind; the session then lives until the server says otherwise. */
  private expiryProblem(problem: string): void {
    const kind = problem.replace(/"[^"]*"/, '');
    if (this.expiryProblems.has(kind)) return;
    this.expiryProblems.add(kind);
    this.log.warn({ problem }, 'session expiry not usable: no timed renewal; keepalive and one re-login on invalidsessiontoken instead');
  }

  private async login(): Promise<string> {
    await this.readVersion();
    this.counters.inc('logins');
    const res = await this.send('POST', '/authentication', {}, { user_name: this.o.username, password: this.o.password, directory_id: this.o.directoryId }, null, undefined, false);
    if (res.status < 200 || res.status >= 300) {
      const e = classifyHttpError('login', res.status, res.text);
      // Any refusal of the login itself (openaccess.* code or 401/403) is treated as fatal for now:
      // retrying a bad password locks the account after a few attempts (§6.3).
      if (e.details.licence || e.details.oaCode?.startsWith('openaccess.') || res.status === 401 || res.status === 403) {
        const refused = e.details.licence ? e : new OpenAccessError('auth', 'onguard_login_refused', e.message.replace(/^login failed/, 'login refused'), e.details);
        this.block(refused);
        throw refused;
      }
      throw e;
    }
    const body = this.parse('login', res.text, LoginResponse);
    this.token = body.session_token;
    this.authFailures = 0;
    this.blockedUntil = 0;
    this.blockedError = null;
    this.blockedReason = null;
    this.lastActivity = Date.now();
    let expiry = readExpiry(body.token_expiration_time);
    if (expiry.at === null && !expiry.problem) {
      // Not in the answer: ask the session (§1.7: never hard-code a lifetime).
      const s = await this.request({ method: 'GET', path: '/session', schema: SessionResponse }).catch(() => null);
      expiry = readExpiry(s?.token_expiration_time);
    }
    if (expiry.problem) this.expiryProblem(expiry.problem);
    this.tokenExpiresAt = expiry.at;
    this.scheduleRenew();
    this.scheduleKeepalive();
    if (body.password_expiration_time) {
      const pe = Date.parse(toUtcIso(body.password_expiration_time) ?? '');
      if (!Number.isNaN(pe) && pe - Date.now() < 14 * 86_400_000)
        this.log.warn({ password_expires_at: new Date(pe).toISOString() }, 'the OnGuard account password expires soon; renew it before logins fail');
    }
    this.log.info({ token_expires_at: this.tokenExpiresAt ? new Date(this.tokenExpiresAt).toISOString() : null }, 'logged in to OnGuard OpenAccess');
    if (!this.policyChecked) {
      this.policyChecked = true;
      void this.adaptKeepalive();
    }
    return body.session_token;
  }

  /** Keepalive inside the server's inactivity timeout when the policy is readable (§1.7). */
  private async adaptKeepalive(): Promise<void> {
    try {
      const p = await this.request({ method: 'GET', path: '/settings/password_policy', schema: PasswordPolicyResponse, quiet: true });
      if (p.is_inactivity_timeout_policy_enabled && p.inactivity_timeout_in_minutes && p.inactivity_timeout_in_minutes > 0) {
        const third = Math.floor((p.inactivity_timeout_in_minutes * 60_000) / 3);
        if (third < this.keepaliveMs) {
          this.keepaliveMs = Math.max(1_000, third);
          this.scheduleKeepalive();
        }
      }
    } catch (e) {
      this.log.debug({ err: (e as Error).message }, 'password policy not readable; keeping the configured keepalive interval');
    }
  }

  private scheduleRenew(): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
    this.renewAt = null;
    if (!this.tokenExpiresAt || this.closed) return;
    const lifetime = this.tokenExpiresAt - Date.now();
    const lead = Math.min(this.o.renewBeforeMs, Math.floor(lifetime * 0.2));
    // A floor: a short or odd lifetime never turns renewal into a login loop.
    const at = Math.max(this.o.minRenewIntervalMs, lifetime - lead);
    this.renewAt = Date.now() + at;
    this.renewTimer = setTimeout(() => void this.renew(), at);
    this.renewTimer.unref();
  }

  /** Logs in again before expiry; the old session is logged out once its requests are done. */
  private async renew(): Promise<void> {
    const old = this.token;
    const oldExpiry = this.tokenExpiresAt ?? Date.now();
    if (!old || this.closed) return;
    this.counters.inc('session_renewals');
    try {
      this.token = null;
      this.loginFlight ??= this.login().finally(() => {
        this.loginFlight = null;
      });
      await this.loginFlight;
      // Requests still using the old token get the time they need, but not past its expiry.
      const grace = Math.min(this.o.requestTimeoutMs, Math.max(0, oldExpiry - Date.now() - 1_000));
      const t = setTimeout(() => void this.logoutToken(old), grace);
      t.unref();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'session renewal failed; the next call logs in again');
    }
  }

  private scheduleKeepalive(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.closed || this.keepaliveMs <= 0) return;
    this.keepaliveTimer = setInterval(() => void this.keepalive(), Math.max(1_000, Math.floor(this.keepaliveMs / 2)));
    this.keepaliveTimer.unref();
  }

  /** `GET /keepalive` when the session has been idle for most of the interval. */
  async keepalive(force = false): Promise<void> {
    if (!this.token || this.closed) return;
    if (!force && Date.now() - this.lastActivity < this.keepaliveMs * 0.5) return;
    this.counters.inc('keepalives');
    try {
      await this.request({ method: 'GET', path: '/keepalive', schema: OkSchema });
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'OnGuard keepalive failed');
    }
  }

  private async logoutToken(token: string): Promise<void> {
    try {
      await this.send('DELETE', '/authentication', {}, undefined, token, undefined, true);
      this.counters.inc('logouts');
    } catch {
      // The session expires on its own.
    }
  }

  /** Logs out (when configured) and releases sockets and timers. */
  async close(logout = true): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    const t = this.token;
    this.token = null;
    if (logout && t) await Promise.race([this.logoutToken(t), sleep(5_000)]);
    for (const a of this.agents) a.destroy();
  }

  // ------------------------------------------------------------------ requests

  private async send(
    method: RequestOptions<unknown>['method'],
    path: string,
    query: RequestOptions<unknown>['query'],
    body: unknown,
    token: string | null,
    signal: AbortSignal | undefined,
    quiet: boolean,
  ): Promise<{ status: number; text: string; retryAfter?: string }> {
    const headers: Record<string, string> = { 'Application-Id': this.o.applicationId, Accept: 'application/json' };
    if (token) headers['Session-Token'] = token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const params: Record<string, string> = { version: this.o.apiVersion };
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params[k] = String(v);
    // 8.x only (in the 8.3 docs, not in the 7.5 swagger): never sent to a 7.x server.
    if (quiet && (this.serverMajor ?? 0) >= 8) params.do_not_reset_inactivity_timer = 'true';
    await this.rate.take(signal);
    this.calls.record(path === '/execute_method' ? `execute_method ${params.type_name}.${params.method_name}` : `${method} ${path.replace(/\/\d+$/, '/{id}')}`);
    return this.limiter.run(async () => {
      try {
        const r = await this.http.request<string>({ method, url: path, params, data: body === undefined ? undefined : JSON.stringify(body), headers, signal });
        if (!quiet) this.lastActivity = Date.now();
        const ra = r.headers['retry-after'];
        return { status: r.status, text: typeof r.data === 'string' ? r.data : '', retryAfter: typeof ra === 'string' ? ra : undefined };
      } catch (e) {
        throw classifyNetworkError(`${method} ${path}`, e);
      }
    });
  }

  private parse<T>(what: string, text: string, schema: z.ZodType<T>): T {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new OpenAccessError('retryable', 'onguard_bad_response', `${what}: answer is not JSON (${text.slice(0, 80).replace(/\s+/g, ' ')})`);
    }
    const r = schema.safeParse(json);
    if (!r.success) throw new OpenAccessError('permanent', 'onguard_bad_response', `${what}: unexpected answer (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
    return r.data;
  }

  /**
   * One call with the session handled: login when needed; after `invalidsessiontoken` (or a
   * bodyless 401) one new login and one resend; idempotent calls retried on retryable errors with
   * the platform backoff (socket resets once at once).
   */
  async request<T>(r: RequestOptions<T>): Promise<T> {
    const what = `${r.method} ${r.path}`;
    const idempotent = r.idempotent ?? r.method === 'GET';
    let resetRetried = false;
    let immediate = false;
    let attempt = 0;
    try {
      const out = await retry(
        async (n) => {
          attempt = n;
          if (this.closed) throw new OpenAccessError('permanent', 'onguard_closed', 'client closed');
          const auth = r.auth !== false;
          let token = auth ? await this.sessionToken() : null;
          let res = await this.send(r.method, r.path, r.query, r.body, token, r.signal, r.quiet === true);
          if (answered(res)) return this.parse(what, res.text, r.schema);
          let e = classifyHttpError(what, effectiveStatus(res), res.text, res.retryAfter);
          if (e.details.sessionInvalid && auth) {
            this.counters.inc('relogins');
            token = await this.reauthenticate(token);
            res = await this.send(r.method, r.path, r.query, r.body, token, r.signal, r.quiet === true);
            if (answered(res)) return this.parse(what, res.text, r.schema);
            e = classifyHttpError(what, effectiveStatus(res), res.text, res.retryAfter);
            if (e.details.sessionInvalid) e = new OpenAccessError('auth', 'onguard_session_rejected', `${what}: a fresh session was refused too`, e.details);
          }
          if (e.details.licence) this.block(e);
          throw e;
        },
        {
          signal: r.signal,
          policy: RETRY_POLICIES.vendorRequest,
          shouldRetry: (e) => {
            if (!(e instanceof OpenAccessError) || e.kind !== 'retryable') return false;
            if (e.details.socketReset && !resetRetried) {
              // The reused keep-alive socket died under us: once, at once, for any method.
              resetRetried = true;
              immediate = true;
              return true;
            }
            immediate = false;
            return idempotent && attempt < this.o.requestRetries + (resetRetried ? 1 : 0);
          },
          delayFor: (e) => (immediate ? 0 : e instanceof OpenAccessError ? e.retryAfterMs : undefined),
          onRetry: (e, attempt) => {
            this.counters.inc('retries');
            this.log.debug({ err: (e as Error).message, attempt }, `retrying ${what}`);
          },
        },
      );
      this.lastOkAt = Date.now();
      return out;
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      this.counters.inc('errors');
      throw e;
    }
  }

  /** `POST /execute_method` (§4.1): the out-parameter map. */
  async executeMethod(typeName: string, methodName: string, key: Record<string, unknown>, signal?: AbortSignal, inParams: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const r = await this.request({
      method: 'POST',
      path: '/execute_method',
      query: { type_name: typeName, method_name: methodName },
      body: { type_name: typeName, method_name: methodName, property_value_map: key, in_parameter_value_map: inParams },
      schema: ExecuteMethodResponse,
      // Status methods are reads; repeating them is harmless.
      idempotent: /^(get|update)hardwarestatus$/i.test(methodName),
      signal,
    });
    return r.out_parameter_value_map ?? {};
  }
}

const OkSchema = z.looseObject({});
