import http from 'node:http';
import https from 'node:https';
import { permanent, retryable } from '@edge/platform';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME|UNABLE_TO_GET_ISSUER/;

/**
 * HTTP(S) GETs over keep-alive agents carrying the TLS options. Every status comes back as a
 * value; transport failures throw EdgeErrors with a kind (a certificate problem is permanent).
 */
export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent: https.Agent;
  /** Streams get their own agents: a held `/events` socket must not take a pooled one. */
  private readonly streamHttpsAgent: https.Agent;

  constructor(
    tls: https.AgentOptions,
    private readonly maxBodyBytes = 64 * 1024 * 1024,
  ) {
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...tls });
    this.streamHttpsAgent = new https.Agent({ keepAlive: false, ...tls });
  }

  private open(url: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal | undefined, stream: boolean): Promise<http.IncomingMessage> {
    const u = new URL(url);
    const isHttps = u.protocol === 'https:';
    const agent: http.Agent | false = isHttps ? (stream ? this.streamHttpsAgent : this.httpsAgent) : stream ? false : this.httpAgent;
    const what = `GET ${u.pathname}`;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(retryable('aborted', `${what}: aborted`));
      const req = (isHttps ? https : http).request(u, { method: 'GET', headers, agent });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      const onAbort = () => req.destroy(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const code = e.code ?? '';
        if (TLS_CODES.test(code)) reject(permanent('tls', `${what}: TLS verification failed (${code}); set tls.ca_file to the Web SDK role's certificate, or tls.insecure: true`, { cause: e }));
        else reject(retryable(code === 'ETIMEDOUT' ? 'timeout' : 'network', `${what}: ${code || e.message}`, { cause: e }));
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        res.once('close', () => signal?.removeEventListener('abort', onAbort));
        resolve(res);
      });
      req.end();
    });
  }

  /** A buffered GET. */
  async get(url: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<HttpAnswer> {
    const res = await this.open(url, headers, timeoutMs, signal, false);
    const what = `GET ${new URL(url).pathname}`;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const timer = setTimeout(() => res.destroy(new Error(`answer not complete within ${timeoutMs} ms`)), timeoutMs);
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.maxBodyBytes) res.destroy(new Error(`answer larger than ${this.maxBodyBytes} bytes`));
        else chunks.push(c);
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(retryable('network', `${what}: ${e.message}`, { cause: e }));
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
  }

  /** A GET whose body is consumed by the caller (the long-lived `/events` stream). */
  stream(url: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<http.IncomingMessage> {
    return this.open(url, headers, timeoutMs, signal, true);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.streamHttpsAgent.destroy();
  }
}
