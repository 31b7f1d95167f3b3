import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '@edge/platform/testing';
import { startGenetecSimulator, type GenetecSimulator } from '@edge/sim-genetec';
import { EventStreamLifecycle } from '@edge/collector-kit';
import { DEFAULT_EVENT_TYPES, EventPublisher, GenetecEventSource, LastKnownEntities, subscriptionQuery, type WebSdkClient } from '../src';
import { clientFor, quietLog, RecordingRaw } from './helpers';

let sim: GenetecSimulator | null = null;
let client: WebSdkClient | null = null;
let stream: EventStreamLifecycle | null = null;
afterEach(async () => {
  await stream?.stop();
  client?.close();
  await sim?.close();
  sim = stream = client = null;
});

/** The event path of the collector: stream → publisher (decide) → raw, with a reconcile recorder. */
function eventPath(s: GenetecSimulator, o: { silenceMs?: number; gapMs?: number } = {}) {
  client = clientFor(s);
  const raw = new RecordingRaw();
  const lastKnown = new LastKnownEntities();
  const reconciles: string[] = [];
  const types = new Map(s.model.list('VideoUnit').concat(s.model.list('Camera')).map((e) => [e.Guid, e.EntityType]));
  const publisher = new EventPublisher({ eventTypes: DEFAULT_EVENT_TYPES, lastKnown, entityTypeOf: (g) => types.get(g) ?? null, raw: () => raw.asRaw(), requestReconcile: (r) => reconciles.push(r), log: quietLog });
  const source = new GenetecEventSource({ client, query: subscriptionQuery(DEFAULT_EVENT_TYPES), gapMs: o.gapMs ?? 0, log: quietLog, onEvents: (evs) => publisher.accept(evs) });
  stream = new EventStreamLifecycle({
    name: 'events',
    source,
    reconnect: { baseMs: 50, capMs: 500, floorMs: 20 },
    silenceMs: o.silenceMs ?? 60_000,
    reconcileAfterGapMs: o.gapMs ?? 0,
    requestReconcile: (r) => reconciles.push(r),
    log: quietLog,
  });
  client.onNewSession = () => {
    if (stream?.subscribed) stream.restart('session renewed');
  };
  stream.start();
  return { raw, lastKnown, reconciles, publisher, stream };
}

const connects = (l: EventStreamLifecycle) => l.counters.get('connects') + l.counters.get('reconnects');
const subscribed = () => waitUntil('the stream is subscribed', () => stream?.state === 'subscribed' && sim!.control.openStreams() === 1);

describe('event stream against the simulator', () => {
  it('subscribes to unit and camera connection events and publishes them with their meaning', async () => {
    sim = await startGenetecSimulator({ cameras: 3, doors: 1 });
    const p = eventPath(sim);
    await subscribed();
    const unit = sim.model.list('VideoUnit')[0];
    const cam = sim.model.list('Camera')[1];
    sim.control.setState(unit.Guid, 'offline');
    sim.control.setState(cam.Guid, 'warning');
    sim.control.setState(unit.Guid, 'online');
    await waitUntil('three events published', () => p.raw.events().length === 3);
    expect(p.raw.events().map((e) => [e.event.SourceEntity, e.event.EventType, e.meaning, e.entityType])).toEqual([
      [unit.Guid, 'UnitDisconnected', 'offline', 'VideoUnit'],
      [cam.Guid, 'CameraTransmissionLost', 'degraded', 'Camera'],
      [unit.Guid, 'UnitConnected', 'online', 'VideoUnit'],
    ]);
    // Only the reconcile of the first subscription (events before it were not seen): no gap.
    expect(p.reconciles).toEqual(['events connected']);
  });

  it('a late offline event (delivered after its source reconnected) never overrules the newer state', async () => {
    sim = await startGenetecSimulator({ cameras: 2, doors: 1 });
    const p = eventPath(sim);
    await subscribed();
    const unit = sim.model.list('VideoUnit')[1];
    const wentOffline = Date.now() - 60_000;
    sim.control.setState(unit.Guid, 'offline', wentOffline - 30_000);
    sim.control.setState(unit.Guid, 'online', wentOffline + 30_000);
    await waitUntil('offline then online published', () => p.raw.events().length === 2);
    // Raised while the unit could not report, delivered only now, with its own (older) time.
    sim.control.raise(unit.Guid, { EventType: 'UnitDisconnected', at: wentOffline, IsOffline: true });
    await waitUntil('the late event was judged', () => p.publisher.counters.snapshot().events_superseded_late === 1);
    expect(p.raw.events().map((e) => e.meaning)).toEqual(['offline', 'online']);
    expect(p.lastKnown.statusOf(unit.Guid)).toBe('online');
  });

  it('events of an entity in maintenance mode are not passed on (maintenance stays the reason)', async () => {
    sim = await startGenetecSimulator({ cameras: 2, doors: 1 });
    const p = eventPath(sim);
    await subscribed();
    const cam = sim.model.list('Camera')[0];
    p.lastKnown.noteRead({ Guid: cam.Guid, EntityType: 'Camera', IsInMaintenance: true }, new Date().toISOString());
    // Security Center suppresses them; one that still arrives must not end the maintenance reason.
    sim.control.raise(cam.Guid, { EventType: 'CameraSignalLost', at: Date.now() });
    await waitUntil('the event was judged', () => p.publisher.counters.snapshot().events_in_maintenance === 1);
    expect(p.raw.events()).toEqual([]);
  });

  it('a stream that goes silent is reopened, and the gap asks for a reconcile; events flow again', async () => {
    sim = await startGenetecSimulator({ cameras: 2, doors: 1, heartbeatMs: 100 });
    // A gap below the silence: the silence alone must make it a reconcile, counted from the last byte.
    const p = eventPath(sim, { silenceMs: 600, gapMs: 400 });
    await subscribed();
    sim.control.silence(true);
    const lost = sim.model.list('VideoUnit')[0];
    sim.control.setState(lost.Guid, 'offline');
    await waitUntil('the silence was noticed', () => p.stream.counters.get('silences') >= 1);
    sim.control.silence(false);
    await waitUntil('a reconcile was asked for', () => p.reconciles.some((r) => /nothing received for \d+ s before it was reopened/.test(r)));
    await subscribed();
    expect(p.raw.events()).toEqual([]);
    expect(sim.control.stats().events_lost).toBe(1);
    const back = sim.model.list('VideoUnit')[1];
    sim.control.setState(back.Guid, 'offline');
    await waitUntil('the next event arrived', () => p.raw.events().length === 1);
    expect(p.raw.events()[0].event.SourceEntity).toBe(back.Guid);
  });

  it('a dropped stream and an expired session are recovered: signed in again, resubscribed, reconciled', async () => {
    sim = await startGenetecSimulator({ cameras: 2, doors: 1 });
    const p = eventPath(sim, { gapMs: 0 });
    await subscribed();
    sim.control.dropStreams();
    await waitUntil('reconnected after the drop', () => connects(p.stream) >= 2 && sim!.control.openStreams() === 1);
    sim.control.expireSessions();
    await waitUntil('reconnected on a new session', () => connects(p.stream) >= 3 && sim!.control.openStreams() === 1);
    expect(client!.counters.snapshot().relogins).toBe(1);
    expect(sim.control.stats().sessions_created).toBe(2);
    expect(p.reconciles.filter((r) => r === 'events reconnected').length).toBeGreaterThanOrEqual(2);
    const unit = sim.model.list('VideoUnit')[0];
    sim.control.setState(unit.Guid, 'offline');
    await waitUntil('events flow on the new session', () => p.raw.events().length === 1);
  });
});
