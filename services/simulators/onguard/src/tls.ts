import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SimTls {
  key: string;
  cert: string;
  /** PEM of the CA that signed `cert` (what a collector puts in `tls.ca_file`). */
  caPem: string;
  caFile: string;
  dir: string;
  /** SHA-256 fingerprint of the server certificate (`AA:BB:…`), what `tls.fingerprint_sha256` pins. */
  fingerprint256: string;
}

/**
 * A private CA named like OnGuard's default chain ("Prism SOA Common Trusted Root", §6.1) and a
 * server certificate for the PC name plus localhost, made with the openssl CLI at start-up so no
 * key is ever committed. `machineNameOnly`: the certificate names the PC name only, as a real
 * OnGuard's does ("the OpenAccess - Host field must contain the PC name … IP address or FQDN …
 * will not work", mjt-milestone/XPALenelS2DocSite MCConfig/ConnectionProperties.md).
 */
export function makeTls(hostName = 'OGSERVER', machineNameOnly = false): SimTls {
  const dir = mkdtempSync(join(tmpdir(), 'onguard-sim-tls-'));
  const f = (n: string) => join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=Prism SOA Common Trusted Root (simulated)', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${hostName}`, '-keyout', f('server.key'), '-out', f('server.csr')]);
  writeFileSync(f('ext.cnf'), `subjectAltName=DNS:${hostName}${machineNameOnly ? '' : ',DNS:localhost,IP:127.0.0.1'}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '825', '-extfile', f('ext.cnf'), '-out', f('server.pem')]);
  const cert = readFileSync(f('server.pem'), 'utf8');
  return { key: readFileSync(f('server.key'), 'utf8'), cert, caPem: readFileSync(f('ca.pem'), 'utf8'), caFile: f('ca.pem'), dir, fingerprint256: new X509Certificate(cert).fingerprint256 };
}
