import http from 'node:http';
import https from 'node:https';
import { authError, parseRetryAfter, permanent, retryable } from '@edge/platform';
import type { TlsOptions } from './tls';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface HttpRequest {
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpTransportOptions {
  tls: TlsOptions;
  /** Default per-request timeout. Large `GET /hardware` answers took >30 s live (§7.6). */
  timeoutMs: number;
  /** Larger answers are refused (a server ignoring paging can answer with everything at once). */
  maxBodyBytes?: number;
  maxSockets?: number;
  /** A private agent (NTLM needs its legs on one connection); default: keep-alive agents of this transport. */
  agent?: http.Agent;
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME|UNABLE_TO_GET_ISSUER/;

/**
 * Minimal HTTP(S) client over node:http with keep-alive agents carrying the TLS options. Returns
 * every status as a value; throws only for transport failures, as EdgeErrors with a kind.
 */
export class HttpTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly maxBody: number;

  constructor(private readonly o: HttpTransportOptions) {
    const maxSockets = o.maxSockets ?? 16;
    this.httpAgent = o.agent ?? new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = (o.agent as https.Agent | undefined) ?? new https.Agent({ keepAlive: true, maxSockets, ...o.tls });
    this.maxBody = o.maxBodyBytes ?? 64 * 1024 * 1024;
  }

  request(method: string, url: string, r: HttpRequest = {}): Promise<HttpResponse> {
    const u = new URL(url);
    const isHttps = u.protocol === 'https:';
    const mod = isHttps ? https : http;
    const timeoutMs = r.timeoutMs ?? this.o.timeoutMs;
    const what = `${method} ${u.pathname}`;
    return new Promise<HttpResponse>((resolve, reject) => {
      if (r.signal?.aborted) return reject(retryable('aborted', `${what}: aborted`));
      const headers: Record<string, string> = { ...r.headers };
      if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
      const req = mod.request(u, { method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent });
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        r.signal?.removeEventListener('abort', onAbort);
        reject(e);
      };
      const timer = setTimeout(() => {
        req.destroy();
        fail(retryable('http_timeout', `${what}: no complete answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = () => {
        req.destroy();
        fail(retryable('aborted', `${what}: aborted`));
      };
      r.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ?? '';
        if (TLS_CODES.test(code))
          fail(permanent('tls_verify_failed', `${what}: TLS verification failed (${code}); set tls.ca_file to the server's CA, or tls.insecure: true to skip verification`, { cause: e }));
        else fail(retryable('network', `${what}: ${code || e.message}`, { cause: e }));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxBody) {
            res.destroy();
            fail(permanent('response_too_large', `${what}: answer larger than ${this.maxBody} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', (e) => fail(retryable('network', `${what}: ${e.message}`, { cause: e })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          r.signal?.removeEventListener('abort', onAbort);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      if (r.body !== undefined) req.write(r.body);
      req.end();
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Error kind of an HTTP status from the gateway (for anything that is not 2xx). */
export function errorForStatus(status: number, code: string, message: string, h: http.IncomingHttpHeaders = {}) {
  if (status === 401) return authError(code, message);
  if (status === 408 || status === 429 || status >= 500 || status === 0) return retryable(code, message, { retryAfterMs: parseRetryAfter(h['retry-after']) });
  return permanent(code, message);
}
