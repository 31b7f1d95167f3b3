import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

/**
 * HTTPS through an HTTP(S) proxy: a CONNECT tunnel per connection, then TLS to the cloud inside
 * it, verified with the agent's own TLS options (CA, rejectUnauthorized). Keep-alive works as
 * with a direct agent: the tunnelled TLS socket is what the agent pools.
 */
export class ProxyTunnelAgent extends HttpsAgent {
  constructor(
    private readonly proxy: URL,
    opts: AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const target = `${options.hostname ?? options.host}:${options.port ?? 443}`;
    const headers: Record<string, string> = { host: target };
    if (this.proxy.username)
      headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`).toString('base64')}`;
    const send = this.proxy.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send({
      host: this.proxy.hostname,
      port: this.proxy.port || (this.proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: target,
      headers,
      timeout: options.timeout,
    });
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      callback?.(e, undefined as unknown as Duplex);
    };
    req.once('connect', (res: IncomingMessage, socket: Socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return fail(new Error(`proxy refused CONNECT ${target}: HTTP ${res.statusCode}`));
      }
      const tls = tlsConnect({ ...(options as object), socket, servername: String(options.servername ?? options.hostname ?? options.host) });
      settled = true;
      callback?.(null, tls);
    });
    req.once('timeout', () => req.destroy(new Error(`proxy CONNECT ${target} timed out`)));
    req.once('error', fail);
    req.end();
    return undefined;
  }
}
