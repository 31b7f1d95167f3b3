import type http from 'node:http';
import type https from 'node:https';
import type { Logger } from 'pino';
import { Counters, describeError, errorKind, parseRetryAfter, retry, RETRY_POLICIES, type EdgeError } from '@edge/platform';
import { GENETEC_ERRORS, errorForAnswer, readEnvelope } from './errors';
import { HttpTransport } from './http';

export interface WebSdkClientOptions {
  /** Web SDK base URL ending with `/` (see `webSdkBase`). */
  base: string;
  username: string;
  applicationId: string;
  password: string;
  tls: https.AgentOptions;
  timeoutMs: number;
  retryForMs: number;
  /** After a licence, privilege or password refusal, calls fail fast for this long. */
  refusedRetryAfterMs: number;
  log: Logger;
}

/** A Web SDK answer: the `Result` of an OK envelope and whether the server capped it. */
export interface WebSdkResult {
  result: unknown;
  tooManyResults: boolean;
}

/**
 * Web SDK client. Every request carries Basic auth with the user name `user;ApplicationId`
 * (lucasquintanilla/Genetec.WebSdk README; CamStreamer/CamStreamerLib GenetecAgent) and
 * `Accept: text/json`: the default answer is legacy XML, and legacy JSON was reported to take
 * minutes per event on the event stream. The server keeps a session per user that idles out
 * (5 min); a request on an expired session is answered once with a session error, after which
 * the client signs in again — new session, whose event subscriptions are gone (`onNewSession`).
 */
export class WebSdkClient {
  readonly counters = new Counters();
  private readonly http: HttpTransport;
  private readonly authHeader: string;
  private refusal: { error: EdgeError; until: number } | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  lastActivityAt = 0;
  /** Last answer that was OK / last request that failed (ms; 0 = none yet): the connection as seen by requests. */
  lastOkAt = 0;
  lastFailAt = 0;
  /** Called after the client signed in again because the server dropped the session. */
  onNewSession: (() => void) | null = null;

  constructor(private readonly o: WebSdkClientOptions) {
    this.http = new HttpTransport(o.tls);
    this.authHeader = `Basic ${Buffer.from(`${o.username};${o.applicationId}:${o.password}`).toString('base64')}`;
  }

  get base(): string {
    return this.o.base;
  }

  headers(): Record<string, string> {
    return { authorization: this.authHeader, accept: 'text/json' };
  }

  /** The refusal currently holding calls back (licence, privilege, password), if any. */
  get refused(): EdgeError | null {
    return this.refusal && Date.now() < this.refusal.until ? this.refusal.error : null;
  }

  /** GET `path` (relative to the base, query included) → the envelope's Result; retries what is retryable. */
  async get(path: string, signal?: AbortSignal): Promise<WebSdkResult> {
    return retry(() => this.getOnce(path, signal).then(this.ok, this.failed), {
      policy: RETRY_POLICIES.vendorRequest,
      shouldRetry: (e) => errorKind(e) === 'retryable' && !signal?.aborted,
      maxElapsedMs: this.o.retryForMs,
      signal,
      delayFor: (e) => (e as EdgeError).retryAfterMs,
      onRetry: (e, attempt) => this.o.log.debug({ err: describeError(e), attempt, path: path.split('?')[0] }, 'Web SDK request retried'),
    });
  }

  private readonly ok = <T>(v: T): T => {
    this.lastOkAt = Date.now();
    return v;
  };

  private readonly failed = (e: unknown): never => {
    this.lastFailAt = Date.now();
    throw e;
  };

  private async getOnce(path: string, signal?: AbortSignal, relogin = false): Promise<WebSdkResult> {
    const held = this.refused;
    if (held) throw held;
    const what = `GET ${path.split('?')[0]}`;
    this.counters.inc('requests');
    const a = await this.http.get(this.o.base + path, this.headers(), this.o.timeoutMs, signal);
    this.lastActivityAt = Date.now();
    const env = a.status >= 200 && a.status < 300 ? readEnvelope(a.text) : null;
    const status = env?.status.toLowerCase();
    if (env && (status === 'ok' || status === 'toomanyresults')) return { result: env.result, tooManyResults: status === 'toomanyresults' };
    if (a.status >= 200 && a.status < 300 && !env) throw errorForAnswer(what, 502, `not a text/json Rsp envelope: ${a.text.slice(0, 120)}`);
    const err = errorForAnswer(what, a.status, a.text, parseRetryAfter(a.headers['retry-after']));
    if (err.code === GENETEC_ERRORS.sessionExpired && !relogin) {
      this.counters.inc('relogins');
      this.o.log.info({ base: this.o.base }, 'Web SDK session expired; signing in again');
      this.onNewSession?.();
      return this.getOnce(path, signal, true);
    }
    if (err.code === GENETEC_ERRORS.sessionExpired) throw errorForAnswer(what, 401, a.text);
    if (err.kind === 'auth') this.hold(err);
    throw err;
  }

  private hold(error: EdgeError): void {
    this.refusal = { error, until: Date.now() + this.o.refusedRetryAfterMs };
    this.counters.inc(error.code);
    this.o.log.error({ err: describeError(error) }, 'Security Center refused the Web SDK connection; asking again later');
  }

  /**
   * Opens a streaming GET (the `/events` stream); the answer's body belongs to the caller. A
   * non-200 answer is read and thrown as the same error kinds as `get`.
   */
  async stream(path: string, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const held = this.refused;
    if (held) throw held;
    const res = await this.http.stream(this.o.base + path, this.headers(), this.o.timeoutMs, signal);
    this.lastActivityAt = Date.now();
    if (res.statusCode === 200) return res;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const err = errorForAnswer(`GET ${path.split('?')[0]}`, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
    if (err.kind === 'auth') this.hold(err);
    throw err;
  }

  /** Pings the role when nothing else was asked for `everyMs`, so the session does not idle out. */
  startKeepalive(everyMs: number): void {
    if (this.keepalive || everyMs <= 0) return;
    this.keepalive = setInterval(() => {
      if (Date.now() - this.lastActivityAt < everyMs || this.refused) return;
      this.counters.inc('keepalives');
      this.getOnce('').catch((e) => this.o.log.debug({ err: describeError(e) }, 'Web SDK keep-alive failed'));
    }, Math.max(250, Math.floor(everyMs / 2)));
    this.keepalive.unref();
  }

  close(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = null;
    this.http.close();
  }
}
