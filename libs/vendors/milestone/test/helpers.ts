import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@edge/platform';
import { ConfigApiClient, HttpTransport, IdpAuth, gatewayUrls, tlsOptionsFrom, type TlsOptions } from '../src';
import type { MilestoneSimulator } from '@edge/sim-milestone';

export const quietLog: Logger = createLogger({ service: 'test', level: 'silent' });

export interface Clients {
  http: HttpTransport;
  auth: IdpAuth;
  api: ConfigApiClient;
  tls: TlsOptions;
  close(): void;
}

/** Real clients pointed at a simulator. */
export function clientsFor(
  sim: Pick<MilestoneSimulator, 'url' | 'username' | 'password'>,
  o: { password?: string; username?: string; mode?: 'basic' | 'windows'; tls?: { ca_file?: string; insecure: boolean }; retryForMs?: number; authRetryAfterMs?: number } = {},
): Clients {
  const tls = tlsOptionsFrom(o.tls ?? { insecure: false });
  const http = new HttpTransport({ tls, timeoutMs: 10_000 });
  const urls = gatewayUrls(sim.url);
  const auth = new IdpAuth({
    root: urls.root,
    username: o.username ?? sim.username,
    password: o.password ?? sim.password,
    clientId: 'GrantValidatorClient',
    mode: o.mode,
    tls,
    http,
    log: quietLog,
    authRetryAfterMs: o.authRetryAfterMs ?? 60_000,
    accountProblemRetryAfterMs: 120_000,
  });
  const api = new ConfigApiClient({ restBase: urls.rest, auth, http, log: quietLog, retryForMs: o.retryForMs ?? 10_000 });
  return { http, auth, api, tls, close: () => http.close() };
}

/** A self-signed certificate for 127.0.0.1/localhost, made with openssl (present on the build box). */
export function selfSignedCert(): { key: Buffer; cert: Buffer; caFile: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ms-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), caFile: certFile, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `fn` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 120_000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false && v !== null) return v as T;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function stat(sim: MilestoneSimulator, key: string): number {
  const s = sim.control.stats() as { requests: Record<string, number> } & Record<string, unknown>;
  return key in s && typeof s[key] === 'number' ? (s[key] as number) : (s.requests[key] ?? 0);
}
