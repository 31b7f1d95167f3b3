import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

export interface OnGuardTlsOptions {
  ca?: Buffer;
  insecure?: boolean;
  /** Name the certificate must carry (and SNI) when the server is reached by IP. */
  servername?: string;
  /** SHA-256 fingerprint the server certificate must have (`AA:BB:…` or plain hex). */
  fingerprint256?: string;
}

function normalise(fp: string): string {
  return fp.replace(/:/g, '').toUpperCase();
}

/** Node's TLS options for the checks that need no pin: CA, server name, or the explicit insecure switch. */
export function tlsConnectOptions(o: OnGuardTlsOptions): tls.ConnectionOptions {
  return { ca: o.ca, rejectUnauthorized: !o.insecure && !o.fingerprint256, ...(o.servername ? { servername: o.servername } : {}) };
}

type CreateConnection = (options: tls.ConnectionOptions, cb: (err: Error | null, s?: Duplex) => void) => Duplex | undefined;

/**
 * An HTTPS agent for an OnGuard server. OnGuard's certificate is issued to the server's machine
 * name, so an edge box that reaches it by IP either checks it against that name (`servername`)
 * or pins it (`fingerprint256`): a pinned connection is handed to a request only after the
 * certificate's fingerprint matched, so nothing (no password, no token) is written to another
 * server. A connect that takes longer than `connectTimeoutMs` fails.
 */
export function onGuardHttpsAgent(o: OnGuardTlsOptions & { connectTimeoutMs: number; agent?: https.AgentOptions }): https.Agent {
  const agent = new https.Agent({ ...o.agent, ...tlsConnectOptions(o) });
  const pin = o.fingerprint256 ? normalise(o.fingerprint256) : null;
  const base = agent.createConnection.bind(agent) as unknown as CreateConnection;
  (agent as unknown as { createConnection: CreateConnection }).createConnection = (options, cb) => {
    let done = false;
    const finish = (err: Error | null, s?: Duplex) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cb(err, s);
    };
    const socket = (pin ? tls.connect({ ...options, rejectUnauthorized: false }) : base(options, () => undefined)) as tls.TLSSocket;
    const timer = setTimeout(() => {
      const e = Object.assign(new Error(`connect timeout after ${o.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' });
      socket.destroy(e);
      finish(e);
    }, o.connectTimeoutMs);
    timer.unref();
    socket.once('error', (e) => finish(e));
    socket.once('secureConnect', () => {
      if (pin) {
        const seen = socket.getPeerCertificate()?.fingerprint256 ?? '';
        if (normalise(seen) !== pin) {
          const e = Object.assign(new Error(`certificate fingerprint ${seen || '(none)'} does not match tls.fingerprint_sha256`), { code: 'ERR_TLS_CERT_PIN_MISMATCH' });
          socket.destroy(e);
          return finish(e);
        }
      }
      finish(null, socket);
    });
    return undefined;
  };
  return agent;
}
