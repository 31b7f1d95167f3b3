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

const UNRESOLVED = /^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)$/;

/**
 * What a probe result is worth from this edge box. A recording server's `webServerUri` is often
 * a Windows host name (`http://win10vm:7563/` in a captured 2023 R2 answer, milestone-xprotect.md
 * §3.4) that the edge box cannot resolve, or a network it cannot reach: a failed connect then
 * says nothing about the server, so it is `unknown` with that reason — `offline` only once the
 * server was reached from here before. `reached` remembers the servers seen responding.
 */
export function judgeProbe(p: RecordingServerProbe, reached: Set<string>): RecordingServerProbe {
  if (p.responding) {
    reached.add(p.recordingServerId);
    return { ...p, unknownReason: null };
  }
  const host = p.target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (!p.target || UNRESOLVED.test(p.error ?? '')) return { ...p, unknownReason: `recording server host ${host || '(none)'} does not resolve from the edge box` };
  if (!reached.has(p.recordingServerId)) return { ...p, unknownReason: `recording server ${p.target} was never reachable from the edge box (${p.error ?? 'no answer'})` };
  return { ...p, unknownReason: null };
}
