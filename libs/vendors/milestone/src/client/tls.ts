import { readFileSync } from 'node:fs';
import type { TlsConfig } from '@edge/platform';
import { permanent } from '@edge/platform';

/** TLS options handed to both the HTTPS agent and the WebSocket client. */
export interface TlsOptions {
  ca?: Buffer;
  rejectUnauthorized: boolean;
}

/**
 * XProtect installs commonly use self-signed or internal-CA certificates (§7.1): verify with
 * the configured CA file, or skip verification only on the explicit `insecure` switch.
 */
export function tlsOptionsFrom(tls: TlsConfig | undefined): TlsOptions {
  if (!tls) return { rejectUnauthorized: true };
  let ca: Buffer | undefined;
  if (tls.ca_file) {
    try {
      ca = readFileSync(tls.ca_file);
    } catch (e) {
      throw permanent('tls_ca_unreadable', `cannot read tls.ca_file ${tls.ca_file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  return { ...(ca ? { ca } : {}), rejectUnauthorized: !tls.insecure };
}
