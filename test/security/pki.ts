/**
 * A throwaway PKI made with the machine's `openssl`: a CA, a server certificate it signed for
 * localhost/127.0.0.1, and one for another host name (to prove host names are checked).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caFile: string;
  /** Signed by the CA for DNS:localhost and IP:127.0.0.1. */
  server: { key: Buffer; cert: Buffer };
  /** Signed by the CA for DNS:other.example only. */
  wrongHost: { key: Buffer; cert: Buffer };
  /** Self-signed, no CA at all. */
  selfSigned: { key: Buffer; cert: Buffer };
  dispose(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function ssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A certificate signed by the CA of `dir` (files `<name>.pem`, `<name>.key` there). */
export function leaf(dir: string, name: string, san: string, eku = 'serverAuth'): { key: Buffer; cert: Buffer } {
  ssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${eku}\n`);
  ssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) };
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'edge-pki-'));
  ssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Edge Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const server = leaf(dir, 'server', 'DNS:localhost,IP:127.0.0.1');
  const wrongHost = leaf(dir, 'wronghost', 'DNS:other.example');
  ssl(dir, ['req', '-x509', ...EC, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    server,
    wrongHost,
    selfSigned: { key: readFileSync(join(dir, 'self.key')), cert: readFileSync(join(dir, 'self.pem')) },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
