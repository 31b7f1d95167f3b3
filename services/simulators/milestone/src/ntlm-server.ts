import { createHmac, randomBytes } from 'node:crypto';
import md4 from 'js-md4';

/**
 * Server side of the NTLM handshake the XProtect identity provider (IIS, Windows
 * authentication) runs for `grant_type=windows_credentials` on `/IDP/connect/token`
 * (Milestone's protocol samples, mipsdk-samples-protocol `identity_provider.py`
 * `get_token_windows`, which uses requests_ntlm's HttpNtlmAuth). Message layout per
 * [MS-NLMP] 2.2.1 (https://learn.microsoft.com/openspecs/windows_protocols/ms-nlmp/).
 * Only NTLMv2 responses are accepted (LmCompatibilityLevel 5, the hardened default of a
 * domain controller); the challenge is bound to the TCP connection, as IIS binds it.
 */

const SIGNATURE = Buffer.from('NTLMSSP\0', 'ascii');
const FLAGS =
  0x00000001 | // UNICODE
  0x00000004 | // REQUEST_TARGET
  0x00000200 | // NTLM
  0x00008000 | // ALWAYS_SIGN
  0x00010000 | // TARGET_TYPE_DOMAIN
  0x00080000 | // EXTENDED_SESSIONSECURITY (NTLM2 key)
  0x00800000 | // TARGET_INFO
  0x20000000 | // 128-bit
  0x80000000; // 56-bit

export interface NtlmAccount {
  /** NetBIOS domain, upper-case (`CORP`). */
  domain: string;
  user: string;
  password: string;
}

/** `CORP\user` or `user@corp.example` → domain + user (the domain of a UPN is its first label). */
export function splitWindowsName(name: string): { domain: string; user: string } {
  const bs = name.indexOf('\\');
  if (bs > 0) return { domain: name.slice(0, bs).toUpperCase(), user: name.slice(bs + 1) };
  const at = name.lastIndexOf('@');
  if (at > 0) return { domain: name.slice(at + 1).split('.')[0].toUpperCase(), user: name.slice(0, at) };
  return { domain: '', user: name };
}

function avPair(id: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(id, 0);
  h.writeUInt16LE(value.length, 2);
  return Buffer.concat([h, value]);
}

/** CHALLENGE_MESSAGE (type 2) for `domain`, with a fresh server challenge. */
export function challengeMessage(domain: string, computer: string): { challenge: Buffer; header: string } {
  const challenge = randomBytes(8);
  const target = Buffer.from(domain, 'utf16le');
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64LE((BigInt(Date.now()) + 11_644_473_600_000n) * 10_000n);
  const info = Buffer.concat([
    avPair(2, target),
    avPair(1, Buffer.from(computer, 'utf16le')),
    avPair(4, Buffer.from(`${domain.toLowerCase()}.example`, 'utf16le')),
    avPair(7, ts),
    avPair(0, Buffer.alloc(0)),
  ]);
  const head = Buffer.alloc(48);
  SIGNATURE.copy(head, 0);
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(target.length, 12);
  head.writeUInt16LE(target.length, 14);
  head.writeUInt32LE(48, 16);
  head.writeUInt32LE(FLAGS >>> 0, 20);
  challenge.copy(head, 24);
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(48 + target.length, 44);
  return { challenge, header: Buffer.concat([head, target, info]).toString('base64') };
}

/** The NTLMSSP message type in an `Authorization: NTLM|Negotiate <b64>` header; null when none. */
export function messageOf(header: string | undefined): { scheme: string; type: number; msg: Buffer } | null {
  const m = /^(NTLM|Negotiate)\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const msg = Buffer.from(m[2], 'base64');
  if (msg.length < 12 || !msg.subarray(0, 8).equals(SIGNATURE)) return null;
  return { scheme: m[1], type: msg.readUInt32LE(8), msg };
}

function field(msg: Buffer, at: number): Buffer {
  const len = msg.readUInt16LE(at);
  const off = msg.readUInt32LE(at + 4);
  if (off + len > msg.length) throw new Error('field outside the message');
  return msg.subarray(off, off + len);
}

/** Verifies an AUTHENTICATE_MESSAGE (type 3) against the accounts; returns the account or null. */
export function verifyAuthenticate(msg: Buffer, challenge: Buffer, accounts: readonly NtlmAccount[]): NtlmAccount | null {
  try {
    const flags = msg.readUInt32LE(60);
    const enc: BufferEncoding = flags & 1 ? 'utf16le' : 'latin1';
    const nt = field(msg, 20);
    const domain = field(msg, 28).toString(enc);
    const user = field(msg, 36).toString(enc);
    if (nt.length <= 24) return null; // NTLMv1 refused
    const named = user.includes('@') && !domain ? splitWindowsName(user) : { domain: domain.toUpperCase(), user };
    const acct = accounts.find((a) => a.user.toLowerCase() === named.user.toLowerCase() && (a.domain === named.domain || named.domain === ''));
    if (!acct) return null;
    const ntHash = Buffer.from(md4.arrayBuffer(Buffer.from(acct.password, 'utf16le')));
    const v2 = createHmac('md5', ntHash).update(Buffer.from(user.toUpperCase() + domain, 'utf16le')).digest();
    const proof = createHmac('md5', v2).update(Buffer.concat([challenge, nt.subarray(16)])).digest();
    return proof.equals(nt.subarray(0, 16)) ? acct : null;
  } catch {
    return null;
  }
}
