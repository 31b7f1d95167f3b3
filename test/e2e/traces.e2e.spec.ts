/**
 * OpenTelemetry end to end: the services (separate processes, started like `npm start`) export
 * their spans over OTLP/HTTP to a real receiver in this test. One trace must link the vendor
 * call, the collector's publish, the normalizer, the forwarder and the cloud POST — per
 * inventory sync and per health event — through the W3C trace context in the NATS headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPAN_KIND, serviceOf, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { SITE, SYSTEMS, startStack, waitFor, type Stack } from './stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    onguard: { site: { panels: 2, readersPerPanel: 3, alarmPanelsPerPanel: 1, recorders: 1, camerasPerRecorder: 2 } },
    milestone: { hardware: 4 },
    otlp: true,
    // Every status trace (the product keeps a share of them): this test follows one change.
    serviceEnv: { EDGE_TRACE_STATUS_SHARE: '1' },
  });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
}, 600_000);

const url = (s: ReceivedSpan) => String(s.attributes['url.full'] ?? s.attributes['http.url'] ?? '');

/** The chain of spans from `s` up to its trace's root. */
function ancestry(s: ReceivedSpan, spans: ReceivedSpan[]): ReceivedSpan[] {
  const byId = new Map(spans.map((x) => [x.spanId, x]));
  const out = [s];
  let cur = s;
  while (cur.parentSpanId && byId.has(cur.parentSpanId)) {
    cur = byId.get(cur.parentSpanId)!;
    out.push(cur);
  }
  return out;
}

/** Collapses consecutive spans of one service: the order in which processes handled the work. */
const hops = (chain: ReceivedSpan[]) => chain.map(serviceOf).filter((svc, i, a) => i === 0 || a[i - 1] !== svc);

describe.sequential('traces across processes', () => {
  for (const vendor of ['onguard', 'milestone'] as const) {
    it(`one trace per ${vendor} inventory sync: vendor call → collector → normalizer → forwarder → cloud POST`, async () => {
      const collector = `collector-${vendor}`;
      const chain = await waitFor(
        `an inventory trace of ${vendor} reaching the cloud POST`,
        () => {
          const spans = stack.otlp!.spans;
          for (const post of spans.filter((s) => serviceOf(s) === 'forwarder' && s.kind === SPAN_KIND.client && url(s).endsWith('/v1/inventory'))) {
            const up = ancestry(post, spans);
            const root = up[up.length - 1];
            if (serviceOf(root) === collector && root.name === `inventory sync ${vendor}`) return up;
          }
          return null;
        },
        { timeoutMs: 120_000, logs: stack.logs },
      );
      // Up from the cloud POST, the processes in order, ending at the collector's sync span.
      expect(hops(chain)).toEqual(['forwarder', 'normalizer', collector]);
      const root = chain[chain.length - 1];
      expect(root.attributes['edge.system.id']).toBe(SYSTEMS[vendor]);
      // The hops are the NATS consume/publish spans, linked by the traceparent header.
      const kinds = chain.map((s) => `${serviceOf(s)}:${s.kind}`);
      expect(kinds).toContain(`normalizer:${SPAN_KIND.consumer}`);
      expect(kinds).toContain(`forwarder:${SPAN_KIND.consumer}`);
      expect(kinds).toContain(`${collector}:${SPAN_KIND.producer}`);
      // The vendor calls of the sync are in the same trace.
      const sameTrace = stack.otlp!.spans.filter((s) => s.traceId === root.traceId);
      const vendorBase = vendor === 'onguard' ? stack.onguard.url : stack.milestone.url;
      expect(sameTrace.some((s) => serviceOf(s) === collector && s.kind === SPAN_KIND.client && url(s).startsWith(vendorBase))).toBe(true);
    }, 600_000);
  }

  it('one trace per health event: device offline in the simulator → collector → normalizer → forwarder → cloud POST', async () => {
    const camera = stack.milestone.control.devices().find((d) => d.resource_type === 'cameras' && d.expected_status === 'online')!;
    const deviceId = `milestone:${SYSTEMS.milestone}:${camera.key}`;
    const changedAt = Date.now();
    stack.milestone.control.commError(camera.resource_type, camera.id);
    await waitFor('the offline event at the cloud', () => stack.cloud.store.events.some((e) => e.device_id === deviceId && e.status === 'offline'), { logs: stack.logs });
    const chain = await waitFor(
      'a health-event trace reaching the cloud POST',
      () => {
        const spans = stack.otlp!.spans;
        for (const post of spans.filter((s) => serviceOf(s) === 'forwarder' && s.kind === SPAN_KIND.client && url(s).endsWith('/v1/health-events') && s.startMs >= changedAt - 5)) {
          const up = ancestry(post, spans);
          const root = up[up.length - 1];
          if (serviceOf(root) === 'collector-milestone' && root.startMs >= changedAt - 5) return up;
        }
        return null;
      },
      { timeoutMs: 120_000, logs: stack.logs },
    );
    expect(hops(chain)).toEqual(['forwarder', 'normalizer', 'collector-milestone']);
    expect(chain.some((s) => serviceOf(s) === 'collector-milestone' && s.name === `publish raw.milestone.${SYSTEMS.milestone}.status`)).toBe(true);
  }, 600_000);

  it('names each process and labels it with the site (and the collectors with vendor and systems)', () => {
    const byService = new Map<string, ReceivedSpan>();
    for (const s of stack.otlp!.spans) byService.set(serviceOf(s), s);
    expect([...byService.keys()].sort()).toEqual(['collector-milestone', 'collector-onguard', 'forwarder', 'normalizer']);
    for (const [svc, s] of byService) {
      expect(s.resource['edge.site.id']).toBe(SITE.id);
      expect(s.resource['edge.customer.id']).toBe(SITE.customer_id);
      if (svc.startsWith('collector-')) {
        const vendor = svc.slice('collector-'.length) as keyof typeof SYSTEMS;
        expect(s.resource['edge.vendor']).toBe(vendor);
        expect(String(s.resource['edge.system.ids'])).toContain(SYSTEMS[vendor]);
      }
    }
    expect(stack.otlp!.errors).toBe(0);
  });
});
