import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosProxyConfig } from 'axios';
import type { Logger } from 'pino';
import { parseRetryAfter, type EdgeConfig } from '@edge/platform';
import { HttpsProxyAgent } from 'hpagent';

export type CloudConfig = EdgeConfig['cloud'];

/** What one POST came back with: an HTTP answer, or no answer at all (status 0). */
export interface CloudAnswer {
  status: number;
  /** Parsed JSON body, or the text when it was not JSON, or null. */
  body: unknown;
  retryAfterMs?: number;
  /** Network/TLS/timeout problem when status is 0: a code such as ECONNREFUSED, ETIMEDOUT, DEPTH_ZERO_SELF_SIGNED_CERT. */
  error?: string;
  durationMs: number;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * HTTP to the integrator cloud: keep-alive agents, per-request timeout, TLS verification on
 * (extra CA from `cloud.tls.ca_file`; `cloud.tls.insecure` is an explicit, logged opt-out), an
 * optional HTTP(S) proxy from `cloud.proxy` (environment proxy variables are not used: the
 * route to the cloud is part of the configuration). Never throws: every outcome is a CloudAnswer.
 */
export class CloudClient {
  private readonly http: AxiosInstance;
  private readonly agents: Array<HttpAgent | HttpsAgent> = [];

  constructor(
    private readonly cfg: CloudConfig,
    private readonly log: Logger,
    userAgent: string,
  ) {
    const tls = {
      ca: cfg.tls.ca_file ? readFileSync(cfg.tls.ca_file) : undefined,
      rejectUnauthorized: !cfg.tls.insecure,
    };
    if (cfg.tls.insecure) log.warn({ base_url: cfg.base_url }, 'TLS certificate verification of the cloud is OFF (cloud.tls.insecure: true)');
    const keepAlive = { keepAlive: true, maxSockets: 16, keepAliveMsecs: 15_000 };
    const target = new URL(cfg.base_url);
    const proxy = cfg.proxy ? new URL(cfg.proxy) : null;
    const httpAgent = new HttpAgent(keepAlive);
    // HTTPS through the proxy: a CONNECT tunnel per connection, TLS to the cloud inside it,
    // verified with the same options (hpagent, https://github.com/delvedor/hpagent).
    const httpsAgent =
      proxy && target.protocol === 'https:' ? new HttpsProxyAgent({ ...keepAlive, ...tls, proxy }) : new HttpsAgent({ ...keepAlive, ...tls });
    this.agents.push(httpAgent, httpsAgent);
    // Plain-HTTP targets go through the proxy as absolute-URI requests (axios does that); HTTPS ones through the CONNECT tunnel agent.
    const axiosProxy: AxiosProxyConfig | false =
      proxy && target.protocol === 'http:'
        ? {
            protocol: proxy.protocol.replace(':', ''),
            host: proxy.hostname,
            port: Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)),
            auth: proxy.username ? { username: decodeURIComponent(proxy.username), password: decodeURIComponent(proxy.password) } : undefined,
          }
        : false;
    if (proxy) log.info({ proxy: `${proxy.protocol}//${proxy.host}` }, 'cloud requests go through a proxy');
    this.http = axios.create({
      baseURL: cfg.base_url.replace(/\/+$/, ''),
      timeout: cfg.timeout,
      httpAgent,
      httpsAgent,
      proxy: axiosProxy,
      // A redirect on an ingest POST is a misconfigured base_url; following it would turn the POST into a GET.
      maxRedirects: 0,
      maxBodyLength: Infinity,
      // The answer is read as a stream and capped here (readAnswer): the status of a 2xx whose
      // body is too large is still known, so the batch counts as delivered instead of retried.
      responseType: 'stream',
      transformRequest: [(d: unknown) => d],
      validateStatus: () => true,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': userAgent },
    });
  }

  /** POSTs a JSON body (already serialised) with the bearer token and Idempotency-Key. */
  async post(path: string, body: string, idempotencyKey: string, signal?: AbortSignal): Promise<CloudAnswer> {
    const started = Date.now();
    try {
      const r = await this.http.post<Readable>(path, body, {
        headers: { authorization: `Bearer ${this.cfg.token}`, 'idempotency-key': idempotencyKey },
        signal,
      });
      const text = await readAnswer(r.data, MAX_ANSWER_BYTES, Math.max(1, this.cfg.timeout - (Date.now() - started)));
      if (text.broken) return { status: 0, body: null, error: `answer cut off: connection closed after ${text.text.length} bytes of the body`, durationMs: Date.now() - started };
      if (text.cut) this.log.warn({ path, status: r.status, read_bytes: text.text.length }, 'cloud answer larger than read or too slow; status kept, body cut');
      return {
        status: r.status,
        body: parseBody(text.text),
        retryAfterMs: parseRetryAfter(r.headers['retry-after'] as string | undefined),
        durationMs: Date.now() - started,
      };
    } catch (e) {
      return { status: 0, body: null, error: networkError(e), durationMs: Date.now() - started };
    }
  }

  close(): void {
    for (const a of this.agents) a.destroy();
  }
}

/**
 * Reads an answer body up to `maxBytes` and `timeoutMs`. Beyond either, the socket is dropped and
 * what was read is returned with `cut`: the status line already arrived and decides delivery.
 * A connection that breaks mid-body is `broken`: a transport failure, retried like one.
 */
function readAnswer(stream: Readable, maxBytes: number, timeoutMs: number): Promise<{ text: string; cut: boolean; broken: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (cut: boolean, broken: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (cut) stream.destroy();
      resolve({ text: Buffer.concat(chunks).toString('utf8'), cut, broken });
    };
    const timer = setTimeout(() => finish(true, false), timeoutMs);
    stream.on('data', (c: Buffer) => {
      if (done) return;
      const room = maxBytes - size;
      if (c.length >= room) {
        chunks.push(c.subarray(0, room));
        size = maxBytes;
        finish(true, false);
        return;
      }
      chunks.push(c);
      size += c.length;
    });
    stream.once('end', () => finish(false, false));
    stream.once('aborted', () => finish(false, true));
    stream.once('error', () => finish(false, true));
    stream.once('close', () => finish(false, true));
  });
}

function parseBody(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 2000);
  }
}

/** A short, secret-free description of a failed request (never the request config). */
function networkError(e: unknown): string {
  if (axios.isAxiosError(e)) {
    const code = e.code ?? (e.cause as { code?: string } | undefined)?.code;
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return `timeout: ${e.message}`;
    return code ? `${code}: ${e.message}` : e.message;
  }
  return String((e as Error)?.message ?? e);
}
