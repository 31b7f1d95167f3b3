import type http from 'node:http';
import type { Socket } from 'node:net';
import type { IdentityProvider, TokenAnswer } from './idp';
import { challengeMessage, messageOf, verifyAuthenticate } from './ntlm-server';

/** Server challenge per TCP connection: NTLM authenticates the connection, not the request. */
const challenges = new WeakMap<Socket, Buffer>();

/** `html`: IIS answers a Windows-authentication 401 with its own HTML page, not OAuth JSON. */
export type WindowsTokenAnswer = TokenAnswer & { headers?: Record<string, string | string[]>; html?: string };

const UNAUTHORIZED = {};
const IIS_401 = '<!DOCTYPE html><html><head><title>401 - Unauthorized: Access is denied due to invalid credentials.</title></head><body><h2>401 - Unauthorized: Access is denied due to invalid credentials.</h2></body></html>';

/**
 * `POST /IDP/connect/token` with `grant_type=windows_credentials` (Milestone's protocol samples,
 * `identity_provider.py` `get_token_windows`): IIS Windows authentication in front of the
 * identity provider. No `Authorization` → 401 offering Negotiate and NTLM; a NEGOTIATE message
 * (type 1) → 401 with the CHALLENGE (type 2); an AUTHENTICATE message (type 3) that verifies →
 * the token, else 401. Through the API Gateway path the handshake never happens: "API gateway
 * doesn't support pass-through of NTLM authentication" (same sample) → plain 401.
 */
export function windowsToken(req: http.IncomingMessage, form: URLSearchParams, idp: IdentityProvider, viaGateway: boolean): WindowsTokenAnswer {
  if (viaGateway) return { status: 401, body: UNAUTHORIZED, html: IIS_401 };
  const offer = { 'www-authenticate': ['Negotiate', 'NTLM'] };
  const m = messageOf(req.headers.authorization);
  if (!m) return { status: 401, body: UNAUTHORIZED, headers: offer, html: IIS_401 };
  if (m.type === 1) {
    const c = challengeMessage('CORP', 'XPCO-MS-01');
    challenges.set(req.socket, c.challenge);
    return { status: 401, body: UNAUTHORIZED, headers: { 'www-authenticate': `${m.scheme} ${c.header}` }, html: IIS_401 };
  }
  const challenge = challenges.get(req.socket);
  challenges.delete(req.socket);
  const account = m.type === 3 && challenge ? verifyAuthenticate(m.msg, challenge, idp.windowsAccounts) : null;
  if (!account) return { status: 401, body: UNAUTHORIZED, headers: offer, html: IIS_401 };
  return idp.grantWindows(form, account);
}
