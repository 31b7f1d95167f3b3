import { connect } from 'node:net';
import { hostFromAddress } from '@edge/contracts';
import type { RecordingServer, RecordingServerProbe } from './raw-schema';
import { itemId } from './raw-schema';

/** `host:port` of a recording server: its `webServerUri`, else `hostName:portNumber` (7563 default). */
export function probeTarget(rs: RecordingServer): { host: string; port: number } | null {
  const uri = typeof rs.webServerUri === 'string' ? rs.webServerUri.trim() : '';
  if (uri) {
    try {
      const u = new URL(uri);
      const host = hostFromAddress(uri);
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      if (host) return { host, port };
    } catch {}
  }
  const host = hostFromAddress(rs.hostName);
  const port = Number(rs.portNumber ?? 7563);
  return host && Number.isInteger(port) && port > 0 ? { host, port } : null;
}

/**
 * Fallback when the recording-server event types are unknown (§5.5): a TCP connect to the
 * server's web port says whether it is up at all. Coarser than the event server's view.
 */
export function probeRecordingServer(rs: RecordingServer, timeoutMs: number): Promise<RecordingServerProbe> {
  const id = itemId(rs);
  const target = probeTarget(rs);
  const probedAt = new Date().toISOString();
  if (!target) return Promise.resolve({ recordingServerId: id, target: '', responding: false, probedAt, error: 'no host to probe' });
  const label = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  return new Promise((resolve) => {
    const s = connect({ host: target.host, port: target.port });
    const finish = (responding: boolean, error: string | null) => {
      clearTimeout(t);
      s.destroy();
      resolve({ recordingServerId: id, target: label, responding, probedAt, error });
    };
    const t = setTimeout(() => finish(false, `no answer within ${timeoutMs} ms`), timeoutMs);
    s.once('connect', () => finish(true, null));
    s.once('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message));
  });
}
