import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import type { TlsConfig } from '@edge/platform';
import type { TlsFinding } from '@edge/collector-kit/survey';

export interface Reachability {
  ok: boolean;
  ms: number;
  error: string | null;
}

function hostPort(url: URL): { host: string; port: number } {
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** A TCP connect to the system's host and port: is anything listening there? */
export function probeTcp(baseUrl: string, timeoutMs: number): Promise<Reachability> {
  const { host, port } = hostPort(new URL(baseUrl));
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = netConnect({ host, port });
    const done = (error: string | null) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ok: error === null, ms: Date.now() - t0, error });
    };
    const timer = setTimeout(() => done(`no TCP answer from ${host}:${port} within ${timeoutMs} ms (firewall, wrong port, or host down)`), timeoutMs);
    s.once('connect', () => done(null));
    s.once('error', (e: NodeJS.ErrnoException) => done(`${e.code ?? 'error'} connecting to ${host}:${port}${e.code === 'ECONNREFUSED' ? ' (nothing listens on that port)' : e.code === 'ENOTFOUND' ? ' (the name does not resolve)' : ''}`));
  });
}

function name(c: PeerCertificate | undefined, part: 'subject' | 'issuer'): string {
  const o = c?.[part] as unknown as Record<string, string | string[]> | undefined;
  if (!o) return '';
  return Object.entries(o)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function chainOf(leaf: DetailedPeerCertificate): TlsFinding['chain'] {
  const out: TlsFinding['chain'] = [];
  let c: DetailedPeerCertificate | undefined = leaf;
  const seen = new Set<string>();
  while (c && c.fingerprint256 && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push({ subject: name(c, 'subject'), issuer: name(c, 'issuer'), fingerprint256: c.fingerprint256 });
    c = c.issuerCertificate;
  }
  return out;
}

interface Handshake {
  authorized: boolean;
  error: string | null;
  cert: DetailedPeerCertificate | null;
  protocol: string | null;
}

function handshake(host: string, port: number, ca: Buffer | undefined, timeoutMs: number): Promise<Handshake> {
  return new Promise((resolve) => {
    const servername = /^[\d.:]+$/.test(host) ? undefined : host;
    const s = tlsConnect({ host, port, servername, ca, rejectUnauthorized: false });
    const done = (h: Handshake) => {
      clearTimeout(timer);
      s.destroy();
      resolve(h);
    };
    const timer = setTimeout(() => done({ authorized: false, error: `no TLS handshake within ${timeoutMs} ms`, cert: null, protocol: null }), timeoutMs);
    s.once('secureConnect', () => {
      const cert = s.getPeerCertificate(true);
      done({
        authorized: s.authorized,
        error: s.authorizationError ? String(s.authorizationError) : null,
        cert: cert && Object.keys(cert).length ? cert : null,
        protocol: s.getProtocol(),
      });
    });
    s.once('error', (e: NodeJS.ErrnoException) => done({ authorized: false, error: `${e.code ?? ''} ${e.message}`.trim(), cert: null, protocol: null }));
  });
}

/**
 * The server's certificate as the collector will see it: subject, chain, whether it verifies with
 * the system's CAs and with the configured `tls.*`, and which setting would make it verify.
 */
export async function probeTls(baseUrl: string, tls: TlsConfig, timeoutMs: number): Promise<TlsFinding | null> {
  const url = new URL(baseUrl);
  if (url.protocol !== 'https:') return null;
  const { host, port } = hostPort(url);
  let ca: Buffer | undefined;
  let caError: string | null = null;
  if (tls.ca_file) {
    try {
      ca = readFileSync(tls.ca_file);
    } catch (e) {
      caError = `tls.ca_file ${tls.ca_file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
    }
  }
  const system = await handshake(host, port, undefined, timeoutMs);
  const configured = ca ? await handshake(host, port, ca, timeoutMs) : system;
  const cert = configured.cert ?? system.cert;
  const identity = cert ? checkServerIdentity(host, cert) : new Error('no certificate');
  const hostnameMatches = identity === undefined;
  const names = (cert?.subjectaltname ?? '')
    .split(/,\s*/)
    .map((s) => s.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
  const chain = cert ? chainOf(cert) : [];
  const root = chain[chain.length - 1];
  const verifiesConfig = configured.authorized && hostnameMatches && !caError;
  let setting: string | null = null;
  if (!verifiesConfig && cert) {
    if (!hostnameMatches) setting = `base_url must use a name the certificate is issued for (${names.join(', ') || name(cert, 'subject')}); "${host}" is not one of them`;
    else if (system.authorized) setting = caError ? 'remove tls.ca_file (the system CAs verify this server)' : null;
    else
      setting = `tls.ca_file: the PEM of the CA "${root?.subject ?? name(cert, 'issuer')}" (SHA-256 ${root?.fingerprint256 ?? '?'}; confirm it with the server's administrator), or tls.insecure: true to skip verification`;
  }
  return {
    protocol: configured.protocol ?? system.protocol,
    subject: cert ? name(cert, 'subject') : null,
    issuer: cert ? name(cert, 'issuer') : null,
    valid_to: cert?.valid_to ?? null,
    names,
    chain,
    verifies_with_system_cas: system.authorized && hostnameMatches,
    verifies_with_config: verifiesConfig || (tls.insecure && cert !== null),
    hostname_matches: hostnameMatches,
    error: caError ?? (verifiesConfig ? null : (configured.error ?? (hostnameMatches ? null : String((identity as Error).message)))),
    setting,
  };
}
