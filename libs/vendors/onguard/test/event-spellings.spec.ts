import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerSecret } from '@edge/platform';
import type { CollectorRunner } from '@edge/collector-kit';
import { DEFAULT_OPTIONS, DEFAULT_SITE, EVENT_SPELLINGS, SimState, type OnGuardSimulator } from '@edge/sim-onguard';
import { EventsConfig } from '../src/config';
import type { OnGuardCollector } from '../src/collector';
import { compileEventRules, readHardwareEvent } from '../src/event-bridge/hardware-event';
import { scrubEvent } from '../src/event-bridge/event-watch';
import { SMALL_SITE, sim, until } from './helpers';
import { collectorFor, RawTap, startRawPipeline } from './pipeline';

/** The event a simulator with this key spelling sends when panel 2 loses communications. */
function commLost(spelling: string): Record<string, unknown> {
  const st = new SimState({ ...DEFAULT_OPTIONS, site: { ...DEFAULT_SITE, ...SMALL_SITE }, event: { ...DEFAULT_OPTIONS.event, keys: { ...EVENT_SPELLINGS[spelling] } } });
  const got: Array<Record<string, unknown>> = [];
  st.onEvent((e) => got.push(e));
  st.change(st.get('Lnl_Reader', '2-3')!, { clearBits: 1 });
  return got[0];
}

describe('hardware event spellings (no public source shows a real payload: every plausible one is read)', () => {
  const rules = compileEventRules(EventsConfig.parse({}));
  for (const spelling of ['snake', 'pascal', 'dataconduit', 'reader']) {
    it(`${spelling}: ${Object.values(EVENT_SPELLINGS[spelling]).join(', ')}`, () => {
      const ev = commLost(spelling);
      const he = readHardwareEvent(ev, rules);
      expect(he).toMatchObject({ eventClass: 'hardware_event', panelId: 2, deviceId: 3, verdict: 'lost', description: 'Communications Lost' });
      expect(he.timestamp).toMatch(/Z$/);
      expect(Math.abs(Date.parse(he.timestamp!) - Date.now())).toBeLessThan(60_000);
      expect(he.unknownKeys).toEqual([]);
    });
  }

  it('field lists can differ per business-event class', () => {
    const r = compileEventRules(EventsConfig.parse({ class_fields: { hardware_event: { panel: ['source_panel'], device: ['source_device'], description: ['message'] } } }));
    expect(readHardwareEvent(commLost('unknown'), r)).toMatchObject({ panelId: 2, deviceId: 3, verdict: 'lost' });
    expect(readHardwareEvent(commLost('unknown'), rules)).toMatchObject({ panelId: null, verdict: 'ignore' });
  });

  it('kept event bodies are scrubbed of secrets', () => {
    registerSecret('s3cret-value-xyz');
    const out = scrubEvent({ SessionToken: 'abc', nested: { password: 'p' }, description: 'user s3cret-value-xyz did it', n: 1 });
    expect(out).toEqual({ SessionToken: '[REDACTED]', nested: { password: '[REDACTED]' }, description: 'user [REDACTED] did it', n: 1 });
  });
});

describe('events the collector cannot place are visible, never turned into phantom states', () => {
  type Pipeline = Awaited<ReturnType<typeof startRawPipeline>>;
  let p: Pipeline;
  let s: OnGuardSimulator;
  let collector: OnGuardCollector;
  let runner: CollectorRunner;
  let st: RawTap;
  beforeAll(async () => {
    p = await startRawPipeline();
  });
  afterAll(async () => {
    await p?.dispose();
  });
  afterEach(async () => {
    await runner?.stop();
    await st?.close();
    await s?.close();
  });

  async function setup() {
    s = await sim();
    ({ collector, runner } = collectorFor(s, p.raw, { events: { heartbeat_interval: 500, invoke_timeout: 2_000, reconnect_base: 100, reconnect_cap: 500, confirm_delay: 50, unresolved_warn_interval: 60_000 } }));
    const since = Date.now();
    st = await RawTap.open(p.nc, 'status', (e) => Date.parse(e.observed_at) >= since);
    await runner.start();
    await runner.sync('command');
    await until(() => collector.state().events === 'subscribed', 120_000, 'bridge subscribed');
  }
  const events = () => (collector.state().details as { events: { counts: Record<string, number>; warning: string | null; raw_events: Array<{ outcome: string; event: Record<string, unknown> }> } }).events;

  it('events with keys nobody expects: kept for /status and the CLI, one warning, no status published from them', async () => {
    await setup();
    s.control.setEventSpelling('unknown');
    s.control.setOnline('reader:1-2', false);
    s.control.emitUnknownKind('3');
    await until(() => events().raw_events.length >= 2, 120_000, 'raw events kept');
    expect(events().raw_events.map((r) => r.outcome)).toEqual(['unread', 'unread']);
    expect(events().raw_events[0].event).toMatchObject({ source_panel: 1, source_device: 2, message: 'Communications Lost' });
    expect(events().warning).toMatch(/none named a device the inventory knows; device state comes from status polls/);
    expect(st.envelopes.filter((e) => (e.payload as { source?: string }).source === 'event')).toEqual([]);
    // What `edge status --raw-events` shows comes from this part of /status.
    expect(JSON.parse(JSON.stringify(runner.status())).state.details.events.raw_events).toHaveLength(2);
  });

  it('an event about a device the inventory does not list: no event status for it, a reconcile of its panel', async () => {
    await setup();
    const [added] = s.control.addReaders('2', 1);
    s.control.setOnline(added.canonical_key, false);
    await until(() => (collector.counters.get('events_unknown_device') ?? 0) >= 1, 120_000, 'unknown device seen');
    const isConfirm = (e: { payload: unknown }) => (e.payload as { via?: string }).via === 'event';
    await until(() => st.envelopes.some(isConfirm), 120_000, 'reconcile of panel 2');
    const rows = st.envelopes.filter(isConfirm).flatMap((e) => (e.payload as { rows: Array<{ native_type: string; object: Record<string, unknown> }> }).rows);
    expect(rows.some((r) => r.native_type === 'Lnl_Panel' && Number(r.object.ID) === 2)).toBe(true);
    expect(rows.some((r) => r.native_type === 'Lnl_Reader' && Number(r.object.ReaderID) === added.native_key.split('-').map(Number)[1])).toBe(false);
    expect(st.envelopes.filter((e) => (e.payload as { source?: string }).source === 'event')).toEqual([]);
    expect(events().raw_events.at(-1)?.outcome).toBe('unknown_device');
  });
});
