/**
 * The real forwarder (as main.ts runs it) against a cloud that answers badly: HTML error pages,
 * JSON cut off, answers larger than it reads, 4xx bodies that are not the documented error
 * shape, 200 with an error body, silence. Retryable answers are retried until the cloud is sane
 * and then every item arrives once; data the cloud refuses ends in the DLQ with the answer as the
 * reason; the process never crashes and never dead-letters for a transport problem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthEventsRequest, subjects, type HealthEvent } from '@edge/contracts';
import { connectNats, createLogger, Publisher, sleep, startService, type NatsConnection, type RunningService } from '@edge/platform';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { forwarderService } from '../../services/forwarder/src/forwarder.module';
import { HTML_200_LOGIN, HTML_503, hugeArray, startHostileServer, type Answer, type HostileServer } from './hostile-server';

const log = createLogger({ service: 'test', level: 'silent' });
const SITE = 'site-test';

let nats: TestNatsServer;
let nc: NatsConnection;
let pub: Publisher;
let cloud: HostileServer;
let fwd: RunningService;
/** Event ids the (sane) cloud accepted. */
const accepted = new Set<string>();
/** How the cloud answers right now; `sane` stores and acknowledges. */
let mode: ((events: HealthEvent[]) => Answer) | 'sane' = 'sane';

function sane(events: HealthEvent[]): Answer {
  for (const e of events) accepted.add(e.event_id);
  return { body: JSON.stringify({ accepted: events.length, duplicates: 0 }) };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

let n = 0;
function event(tag: string): HealthEvent {
  n++;
  return {
    event_id: `${tag}-${n}`,
    device_id: `onguard:og-main:reader:${n}`,
    status: 'offline',
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    previous_status: 'online',
    reason: null,
    observed_via: 'event',
    customer_id: 'cust-test',
    site_id: SITE,
    source: { vendor: 'onguard', system_id: 'og-main', native_type: 'Lnl_Reader', native_id: String(n) },
    schema_version: 1,
  };
}

async function publish(events: HealthEvent[]): Promise<void> {
  for (const e of events) await pub.publishJson(subjects.canonicalHealth(SITE), { kind: 'health', event: e }, { msgId: `h:${e.event_id}` });
}

async function forwarderStatus(): Promise<{ dead_lettered: number; retries: number; circuit: { state: string; last_failure: { reason: string } | null } }> {
  const r = await fetch(`http://127.0.0.1:${fwd.httpPort}/status`);
  return ((await r.json()) as { forwarder: never }).forwarder;
}

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url, name: 'test' }, log);
  pub = new Publisher(nc, log, { retryForMs: 10_000, timeoutMs: 5_000 });
  cloud = await startHostileServer((req, body) => {
    if (req.url !== '/v1/health-events') return { body: JSON.stringify({ accepted: 1, duplicates: 0 }) };
    const parsed = HealthEventsRequest.safeParse(JSON.parse(body));
    if (!parsed.success) return { status: 400, body: JSON.stringify({ error: 'invalid_body', message: 'test cloud could not read the body' }) };
    return mode === 'sane' ? sane(parsed.data.events) : mode(parsed.data.events);
  });
  const config = testConfig(nats.url, {
    // A request timeout far above what a busy machine needs to read a 5 MB answer: only the
    // hanging cloud reaches it (so "not retried" below never depends on the machine's speed).
    cloud: { base_url: cloud.url, token: 'cloud-token-secret', timeout: '15s', batch: { max_items: 10, linger: 20 }, retry: { base: 50, cap: 400 }, heartbeat_interval: '1h' } as never,
    log: { level: 'fatal' },
  });
  fwd = await startService(forwarderService(config, { httpPort: 0 }));
});

afterAll(async () => {
  await fwd?.stop();
  await nc?.drain().catch(() => undefined);
  await cloud?.close();
  await nats?.dispose();
});

async function dlqReasons(): Promise<string[]> {
  return (await fwd.runtime.dlq.list({ limit: 1000 })).map((e) => e.reason);
}

describe('forwarder against a badly answering cloud', () => {
  it.each<[string, Answer]>([
    ['an HTML 503 page', { status: 503, headers: { 'content-type': 'text/html' }, body: HTML_503 }],
    ['an HTML 502 from a proxy', { status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad Gateway</body></html>' }],
    ['a 200 whose JSON is cut off', { body: '{"accepted":10,"duplicates":0}', cutAfterBytes: 8 }],
    ['a connection reset', { reset: true }],
    ['no answer within the request timeout', { hang: true }],
    ['a 429 with an HTML body and Retry-After', { status: 429, headers: { 'content-type': 'text/html', 'retry-after': '1' }, body: '<html>slow down</html>' }],
  ])('%s: retried, nothing dead-lettered, all delivered once the cloud is sane', async (_name, answer) => {
    const dlqBefore = (await dlqReasons()).length;
    const retriesBefore = (await forwarderStatus()).retries;
    let bad = 0;
    mode = () => {
      bad++;
      return answer;
    };
    const events = Array.from({ length: 12 }, () => event('retry'));
    await publish(events);
    await until('the bad answers were seen and retried', async () => bad >= 1 && (await forwarderStatus()).retries > retriesBefore);
    expect((await forwarderStatus()).circuit.last_failure?.reason).toBeTruthy();
    mode = 'sane';
    await until('every event delivered', () => events.every((e) => accepted.has(e.event_id)));
    expect((await dlqReasons()).length).toBe(dlqBefore);
  });

  it('a 400 whose body is an HTML page: the batch is bisected and the refused items are dead-lettered with the answer', async () => {
    const events = Array.from({ length: 6 }, () => event('refuse'));
    const poison = events[3].event_id;
    mode = (evs) =>
      evs.some((e) => e.event_id === poison) ? { status: 400, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>400 Bad Request</h1>nginx</body></html>' } : sane(evs);
    await publish(events);
    await until('the others delivered', () => events.filter((e) => e.event_id !== poison).every((e) => accepted.has(e.event_id)));
    await until('the refused one dead-lettered', async () => (await dlqReasons()).some((r) => r.includes('HTTP 400')));
    const reasons = await dlqReasons();
    expect(reasons.filter((r) => r.includes('400 Bad Request'))).toHaveLength(1);
    expect(accepted.has(poison)).toBe(false);
    mode = 'sane';
  });

  it('a 422 whose `items` are of the wrong type: treated as unnamed items (bisect), only the refused one is dead-lettered', async () => {
    const events = Array.from({ length: 5 }, () => event('typed'));
    const poison = events[1].event_id;
    mode = (evs) => (evs.some((e) => e.event_id === poison) ? { status: 422, body: JSON.stringify({ error: 'rejected', message: 'bad item', items: 'event 1' }) } : sane(evs));
    const before = (await dlqReasons()).length;
    await publish(events);
    await until('the refused one dead-lettered', async () => (await dlqReasons()).length === before + 1);
    await until('the others delivered', () => events.filter((e) => e.event_id !== poison).every((e) => accepted.has(e.event_id)));
    expect((await dlqReasons()).slice(-1)[0]).toMatch(/HTTP 422/);
    mode = 'sane';
  });

  it('an item larger than the cloud takes (413): the batch is split, the oversized item alone is dead-lettered, the rest delivered', async () => {
    const small = Array.from({ length: 4 }, () => event('small'));
    const big = { ...event('big'), reason: 'x'.repeat(6_000) };
    mode = (evs) => (JSON.stringify(evs).length > 4_000 ? { status: 413, body: JSON.stringify({ error: 'payload_too_large', message: 'body larger than 4000 bytes' }) } : sane(evs));
    const before = (await dlqReasons()).length;
    await publish([small[0], small[1], big, small[2], small[3]]);
    await until('the small ones delivered', () => small.every((e) => accepted.has(e.event_id)));
    await until('the big one dead-lettered', async () => (await dlqReasons()).length === before + 1);
    expect((await dlqReasons()).slice(-1)[0]).toMatch(/too large/);
    expect(accepted.has(big.event_id)).toBe(false);
    mode = 'sane';
  });

  it('a 200 with an error body counts as delivered (the API contract: 2xx = the cloud has it)', async () => {
    const events = Array.from({ length: 3 }, () => event('ok-error-body'));
    mode = (evs) => {
      for (const e of evs) accepted.add(e.event_id);
      return { body: JSON.stringify({ error: 'internal', message: 'partially stored?' }) };
    };
    const before = (await dlqReasons()).length;
    await publish(events);
    await until('delivered', () => events.every((e) => accepted.has(e.event_id)));
    await until('acked', async () => {
      const r = await fetch(`http://127.0.0.1:${fwd.httpPort}/status`);
      const st = (await r.json()) as { consumers: Record<string, { lag: { ack_pending: number; pending: number } | null }> };
      return Object.values(st.consumers).every((c) => c.lag?.ack_pending === 0 && c.lag.pending === 0);
    });
    expect((await dlqReasons()).length).toBe(before);
    mode = 'sane';
  });

  it('a 200 larger than the forwarder reads (5 MB) is delivered: the status decides, the body is cut at 1 MB', async () => {
    const events = Array.from({ length: 4 }, () => event('huge-ok'));
    const retriesBefore = (await forwarderStatus()).retries;
    mode = (evs) => {
      for (const e of evs) accepted.add(e.event_id);
      return { body: hugeArray(5_000, 1_000, () => ['{"accepted":1,"duplicates":0,"x":[', ']}']) };
    };
    const before = (await dlqReasons()).length;
    await publish(events);
    await until('delivered', () => events.every((e) => accepted.has(e.event_id)));
    await until('acked', async () => {
      const r = await fetch(`http://127.0.0.1:${fwd.httpPort}/status`);
      const st = (await r.json()) as { consumers: Record<string, { lag: { ack_pending: number; pending: number } | null }> };
      return Object.values(st.consumers).every((c) => c.lag?.ack_pending === 0 && c.lag.pending === 0);
    });
    expect((await forwarderStatus()).retries).toBe(retriesBefore);
    expect((await dlqReasons()).length).toBe(before);
    mode = 'sane';
  });

  it('a 400 with a 5 MB HTML body is read up to 1 MB and handled as a refusal (bisect, DLQ), not retried forever', async () => {
    const bad = event('huge-400');
    const good = event('huge-400-ok');
    mode = (evs) => {
      if (evs.some((e) => e.event_id === bad.event_id)) return { status: 400, headers: { 'content-type': 'text/html' }, body: '<html>' + 'x'.repeat(5 * 1024 * 1024) + '</html>' };
      for (const e of evs) accepted.add(e.event_id);
      return { body: JSON.stringify({ accepted: evs.length, duplicates: 0 }) };
    };
    const before = (await dlqReasons()).length;
    await publish([bad, good]);
    await until('the good one delivered and the bad one dead-lettered', async () => accepted.has(good.event_id) && (await dlqReasons()).length > before);
    expect(accepted.has(bad.event_id)).toBe(false);
    mode = 'sane';
  });

  it('a 200 captive-portal HTML page is delivered per the contract, and the forwarder stays up', async () => {
    const events = [event('portal')];
    mode = (evs) => {
      for (const e of evs) accepted.add(e.event_id);
      return { headers: { 'content-type': 'text/html' }, body: HTML_200_LOGIN };
    };
    await publish(events);
    await until('delivered', () => accepted.has(events[0].event_id));
    mode = 'sane';
    const r = await fetch(`http://127.0.0.1:${fwd.httpPort}/healthz`);
    expect(r.status).toBe(200);
  });
});
