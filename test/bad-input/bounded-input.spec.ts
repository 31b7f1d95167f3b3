/**
 * Bounded input: the vendor answer caps are configuration with tens-of-MB defaults (XProtect
 * REST answers and WebSocket messages, the OnGuard Event Bridge's messages), a configured cap is
 * what the client enforces, JSON nested deeper than a fixed limit is refused with a named error
 * before publishing, and the status server neither leaks internal error text nor compares its
 * token naively.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { assertJsonDepth, bearerMatches, createLogger, EdgeError, MAX_JSON_DEPTH, Publisher, startHealthServer, connectNats } from '@edge/platform';
import { startNatsServer } from '@edge/platform/testing';
import { HttpTransport, parseMilestoneConfig } from '@edge/vendor-milestone';
import { parseOnGuardSystem } from '@edge/vendor-onguard';

const log = createLogger({ service: 'bounded-test', level: 'fatal', destination: { write: () => undefined } });
const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

const system = (vendor: string, extra: Record<string, unknown> = {}) =>
  ({ id: 's1', vendor, base_url: 'http://127.0.0.1:1', username: 'u', password: 'p', enabled: true, tls: { insecure: false }, inventory_interval: 1, status_interval: 1, ...extra }) as never;

function nested(depth: number): unknown {
  let v: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) v = { next: v };
  return v;
}

describe('answer caps are configuration', () => {
  it('XProtect: REST answer and WebSocket message caps default to 64 MB and follow the config', () => {
    const d = parseMilestoneConfig(system('milestone'));
    expect(d.max_answer).toBe(64 * 1024 * 1024);
    expect(d.ws_max_payload).toBe(64 * 1024 * 1024);
    const c = parseMilestoneConfig(system('milestone', { max_answer: '8MB', ws_max_payload: '12MB' }));
    expect([c.max_answer, c.ws_max_payload]).toEqual([8 * 1024 * 1024, 12 * 1024 * 1024]);
  });

  it('OnGuard: the Event Bridge message cap defaults to 16 MB and follows the config', () => {
    expect(parseOnGuardSystem(system('onguard', { application_id: 'a', directory_id: 'd' })).events.max_message).toBe(16 * 1024 * 1024);
    expect(parseOnGuardSystem(system('onguard', { application_id: 'a', directory_id: 'd', events: { max_message: '2MB' } })).events.max_message).toBe(2 * 1024 * 1024);
  });

  it('the XProtect client refuses an answer above its configured cap, with a named error', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const srv = createServer((_q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end(body));
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/x`;
    const capped = new HttpTransport({ tls: { rejectUnauthorized: true }, timeoutMs: 10_000, maxBodyBytes: parseMilestoneConfig(system('milestone', { max_answer: '1MB' })).max_answer });
    await expect(capped.request('GET', url)).rejects.toMatchObject({ code: 'response_too_large' });
    const roomy = new HttpTransport({ tls: { rejectUnauthorized: true }, timeoutMs: 10_000, maxBodyBytes: parseMilestoneConfig(system('milestone')).max_answer });
    expect((await roomy.request('GET', url)).status).toBe(200);
  });
});

describe('deep JSON', () => {
  it(`is refused beyond ${MAX_JSON_DEPTH} levels with json_too_deep, and a stack-overflowing value never reaches JSON.stringify`, async () => {
    expect(() => assertJsonDepth(nested(MAX_JSON_DEPTH - 2))).not.toThrow();
    expect(() => assertJsonDepth(nested(MAX_JSON_DEPTH + 1))).toThrow(EdgeError);
    const nats = await startNatsServer();
    try {
      const nc = await connectNats({ url: nats.url, name: 'bounded' }, log);
      const pub = new Publisher(nc, log, { retryForMs: 1_000, timeoutMs: 2_000 });
      // 200 000 levels would overflow the stack in JSON.stringify (a RangeError, not a named error).
      await expect(pub.publishJson('raw.x.y.status', nested(200_000), { msgId: 'deep-1' })).rejects.toMatchObject({ code: 'json_too_deep', kind: 'permanent' });
      await nc.close();
    } finally {
      await nats.dispose();
    }
  });
});

describe('status server', () => {
  it('answers a failing handler with 500 and an error id only; the reason stays in the log', async () => {
    const lines: string[] = [];
    const hlog = createLogger({ service: 'h', level: 'error', destination: { write: (l: string) => lines.push(l) } });
    const h = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      service: 'h',
      ready: () => ({ ok: true, checks: {} }),
      status: () => {
        throw new Error('db at 10.0.0.7 refused user admin');
      },
      log: hlog,
    });
    try {
      const r = await fetch(`http://127.0.0.1:${h.port}/status`);
      const text = await r.text();
      expect(r.status).toBe(500);
      expect(text).not.toContain('10.0.0.7');
      const body = JSON.parse(text) as { error: string; error_id: string };
      expect(body.error).toBe('internal');
      expect(lines.join('\n')).toContain(body.error_id);
      expect(lines.join('\n')).toContain('10.0.0.7');
    } finally {
      await h.close();
    }
  });

  it('matches the bearer token exactly, whatever the length of the attempt', () => {
    expect(bearerMatches('Bearer s3cret-token', 's3cret-token')).toBe(true);
    for (const wrong of [undefined, '', 'Bearer s3cret-toke', 'Bearer s3cret-token2', 'bearer s3cret-token', 's3cret-token'])
      expect(bearerMatches(wrong, 's3cret-token'), String(wrong)).toBe(false);
  });
});
