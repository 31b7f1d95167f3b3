import { readFileSync } from 'node:fs';
import type https from 'node:https';
import { permanent, type TlsConfig } from '@edge/platform';

/**
 * TLS options of the Web SDK connection. With SSL on, the Web-based SDK role presents a
 * self-signed certificate (Genetec DAP wiki, "Web SDK Getting Started",
 * https://github.com/Genetec/DAP/wiki/Web-SDK-Getting-Started): verify it with the configured
 * CA file (the certificate itself), or skip verification only on the explicit `insecure` switch.
 */
export function tlsAgentOptions(tls: TlsConfig | undefined): https.AgentOptions {
  if (!tls) return { rejectUnauthorized: true };
  let ca: Buffer | undefined;
  if (tls.ca_file) {
    try {
      ca = readFileSync(tls.ca_file);
    } catch (e) {
      throw permanent('tls_ca_unreadable', `cannot read tls.ca_file ${tls.ca_file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  return { ...(ca ? { ca } : {}), rejectUnauthorized: !tls.insecure, ...(tls.servername ? { servername: tls.servername } : {}) };
}
