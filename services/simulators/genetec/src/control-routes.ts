import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunState, SiteModel } from './model';
import type { SimControl } from './server';

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  const v: unknown = JSON.parse(text);
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

function json(res: ServerResponse, status: number, v: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(v));
}

const STATES = new Set<RunState>(['online', 'offline', 'warning']);

/**
 * The control API under `/_sim/` (the same as `control` in-process), for demos and chaos runs
 * that drive the simulator from another process. Routes are listed in the README.
 */
export async function controlRoute(req: IncomingMessage, res: ServerResponse, path: string, c: SimControl, model: SiteModel): Promise<void> {
  const method = req.method ?? 'GET';
  const seg = path.split('/').filter(Boolean);
  try {
    if (method === 'GET' && seg[0] === 'stats') return json(res, 200, c.stats());
    if (method === 'GET' && seg[0] === 'entities') {
      const type = new URL(req.url ?? '/', 'http://sim').searchParams.get('type') ?? 'Camera';
      return json(res, 200, model.list(type).map((e) => ({ guid: e.Guid, name: e.Name, type: e.EntityType, state: e.state, maintenance: e.maintenance })));
    }
    if (method !== 'POST') return json(res, 404, { error: `no control route ${method} /_sim${path}` });
    const b = await body(req);
    if (seg[0] === 'entities' && seg[1] && seg[2] === 'state' && STATES.has(b.state as RunState)) c.setState(seg[1], b.state as RunState);
    else if (seg[0] === 'entities' && seg[1] && seg[2] === 'maintenance') c.setMaintenance(seg[1], typeof b.reason === 'string' ? b.reason : null, typeof b.end === 'string' ? b.end : null);
    else if (seg[0] === 'entities' && seg[1] && seg[2] === 'late-offline') c.reconnectWithLateOffline(seg[1], typeof b.offline_at === 'string' ? Date.parse(b.offline_at) : Date.now() - 60_000);
    else if (seg[0] === 'stream' && seg[1] === 'drop') return json(res, 200, { dropped: c.dropStreams() });
    else if (seg[0] === 'stream' && seg[1] === 'silence') c.silence(b.on !== false);
    else if (seg[0] === 'sessions' && seg[1] === 'expire') c.expireSessions();
    else if (seg[0] === 'licence') c.setLicenceRefused(b.refused !== false);
    else if (seg[0] === 'privilege') c.setPrivilegeMissing(b.missing !== false);
    else if (seg[0] === 'report' && seg[1] && seg[2] === 'fail') c.failReport(seg[1], b.on !== false);
    else return json(res, 404, { error: `no control route POST /_sim${path}` });
    return json(res, 200, { ok: true });
  } catch (e) {
    return json(res, 400, { error: (e as Error).message });
  }
}
