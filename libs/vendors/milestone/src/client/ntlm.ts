import http from 'node:http';
import https from 'node:https';
import { hostname } from 'node:os';
import { createType1Message, createType3Message, decodeType2Message } from '@ewsjs/ntlm-client';
import { permanent } from '@edge/platform';
import { HttpTransport, type HttpResponse } from './http';
import type { TlsOptions } from './tls';

/** A Windows account as configured: `DOMAIN\user` or `user@domain`. */
export function windowsIdentity(username: string): { domain: string; user: string } {
  const bs = username.indexOf('\\');
  if (bs > 0) return { domain: username.slice(0, bs), user: username.slice(bs + 1) };
  // A UPN goes whole as the user name with an empty domain; the DC resolves it.
  return { domain: '', user: username };
}

/** `DOMAIN\user` or `user@domain`: the shape of an Active Directory account. */
export function looksLikeWindowsAccount(username: string): boolean {
  return /^[^\\@\s]+\\[^\\\s]+$/.test(username) || /^[^\\@\s]+@[^\\@\s]+$/.test(username);
}

function challengeOf(res: HttpResponse): string | null {
  const h = res.headers['www-authenticate'];
  const values = Array.isArray(h) ? h : typeof h === 'string' ? h.split(/,\s*(?=NTLM|Negotiate)/i) : [];
  for (const v of values) {
    const m = /^(?:NTLM|Negotiate)\s+([A-Za-z0-9+/=]+)/i.exec(v.trim());
    if (m) return m[1];
  }
  return null;
}

/**
 * POST `body` to `url` authenticated by NTLM (Windows / Active Directory accounts), the way
 * Milestone's protocol samples get a token for a Windows user: `grant_type=windows_credentials`
 * with HTTP NTLM authentication directly against the management server's `/IDP/connect/token`,
 * because "API gateway doesn't support pass-through of NTLM authentication"
 * (github.com/milestonesys/mipsdk-samples-protocol, EventsAndStateWebSocketApiPython/identity_provider.py).
 * NTLM authenticates the TCP connection, so the three legs (negotiate, challenge, authenticate)
 * go over one kept-alive socket of a private agent. Messages are built by @ewsjs/ntlm-client
 * (NTLMv2 when the server offers target info).
 */
export async function ntlmPost(
  url: string,
  body: string,
  o: { username: string; password: string; tls: TlsOptions; timeoutMs: number; signal?: AbortSignal; headers?: Record<string, string> },
): Promise<HttpResponse> {
  const isHttps = new URL(url).protocol === 'https:';
  const agent = isHttps ? new https.Agent({ keepAlive: true, maxSockets: 1, ...o.tls }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
  const transport = new HttpTransport({ tls: o.tls, timeoutMs: o.timeoutMs, agent });
  const id = windowsIdentity(o.username);
  const workstation = hostname().split('.')[0].toUpperCase();
  const send = (authorization: string) =>
    transport.request('POST', url, { headers: { ...o.headers, authorization }, body, timeoutMs: o.timeoutMs, signal: o.signal });
  try {
    const first = await send(createType1Message(workstation, id.domain));
    if (first.status !== 401) return first;
    const challenge = challengeOf(first);
    if (!challenge) throw permanent('idp_ntlm_unsupported', `${new URL(url).pathname} answered 401 without an NTLM challenge (Windows authentication is not enabled there)`);
    const type2 = decodeType2Message(`NTLM ${challenge}`);
    return await send(createType3Message(type2, id.user, o.password, workstation, id.domain));
  } finally {
    transport.close();
  }
}
