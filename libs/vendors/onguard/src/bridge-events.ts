import type { Logger } from 'pino';
import { stableHash } from '@edge/contracts';
import { Counters, describeError, errorKind } from '@edge/platform';
import type { CollectorHooks } from '@edge/collector-kit';
import type { EventsConfig } from './config';
import type { HardwareStatusReader } from './hardware-status';
import type { StatusMemory } from './status-memory';
import type { GapRecovery } from './gap-recovery';
import { readHardwareEvent, type CompiledEventRules, type HardwareEvent } from './event-bridge/hardware-event';
import { locateEvent } from './event-bridge/event-routing';
import { EventWatch } from './event-bridge/event-watch';
import type { DeviceIndex, Target } from './device-index';
import { mergeTarget, readAndPublish, withPanels } from './status-publish';
import type { OnGuardRawStatusInput } from './raw-schema';

/** Events kept until an inventory can place them (the first inventory, a panel not listed yet). */
const MAX_UNPLACED = 1_000;

export interface BridgeEventsDeps {
  cfg: EventsConfig;
  rules: CompiledEventRules;
  reader: HardwareStatusReader;
  memory: StatusMemory;
  gap: GapRecovery;
  counters: Counters;
  log: Logger;
  /** The index of the last inventory (null before the first). */
  index(): DeviceIndex | null;
  hooks(): CollectorHooks | null;
}

/**
 * Decodes one Web Event Bridge event and acts on it: lost/restored of a device the inventory
 * knows is published at once, then confirmed with a targeted status read (§5.5: the status bit is
 * the truth); a device the inventory does not list triggers a read of its panel; an event no
 * inventory can place yet waits for the next one.
 */
export class BridgeEvents {
  readonly watch: EventWatch;
  private readonly unknownEventKeys = new Set<string>();
  private readonly unplaced: Array<Record<string, unknown>> = [];
  private readonly pendingConfirm = new Map<string, Target>();
  private confirmTimer: NodeJS.Timeout | null = null;
  private confirming: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly d: BridgeEventsDeps) {
    this.watch = new EventWatch(d.cfg.keep_raw_events, d.cfg.unresolved_warn_interval, d.log.child({ component: 'events' }));
  }

  /** No more confirmations are scheduled. */
  stop(): void {
    this.stopped = true;
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
  }

  /** Waits (bounded) for publishes and confirmations in flight. */
  async drained(): Promise<void> {
    await Promise.race([Promise.allSettled([...this.inflight, this.confirming]), new Promise((r) => setTimeout(r, 5_000))]);
  }

  onEvent(ev: Record<string, unknown>, replay = false): void {
    const { counters, cfg } = this.d;
    if (!replay) counters.inc('events_received');
    const he = readHardwareEvent(ev, this.d.rules);
    this.d.gap.seenSerial(he.eventId);
    this.noteUnknownKeys(he.unknownKeys);
    const filter = cfg.filter.toLowerCase();
    if (he.eventClass !== null && filter.trim() !== '' && !filter.includes(he.eventClass.toLowerCase())) {
      counters.inc('events_other_class');
      this.watch.record(ev, 'other_class');
      return;
    }
    const place = locateEvent(he, this.d.index(), cfg.confirm_children);
    this.watch.record(ev, place.kind);
    if (he.verdict === 'ignore') return counters.inc('events_ignored');
    if (place.kind === 'device') {
      // Published only for devices the inventory knows; ambiguous device numbers are left to the confirming read.
      const primary = place.targets.filter((t) => t.primary);
      if ((he.verdict === 'lost' || he.verdict === 'restored') && primary.length === 1) this.publishEventRow(ev, he, primary[0]);
      if (cfg.confirm) this.scheduleConfirm(place.targets);
    } else if (place.kind === 'unknown_device') {
      // A device the inventory does not list (yet): no phantom status, a reconcile of that panel.
      counters.inc('events_unknown_device');
      this.scheduleConfirm([place.panel, ...place.children]);
    } else if (place.kind === 'unknown_panel') {
      counters.inc('events_unknown_panel');
      // No inventory yet, or a panel it does not list yet: placed again after the next inventory.
      if (!replay && this.unplaced.length < MAX_UNPLACED) this.unplaced.push(ev);
    } else counters.inc('events_unread');
  }

  /** Events that arrived before the inventory could place them, handled against the new index. */
  replayUnplaced(): void {
    const evs = this.unplaced.splice(0);
    for (const ev of evs) this.onEvent(ev, true);
    if (evs.length > 0) this.d.counters.inc('events_replayed', evs.length);
  }

  private noteUnknownKeys(keys: string[]): void {
    for (const k of keys) {
      if (this.unknownEventKeys.size < 200 && !this.unknownEventKeys.has(k)) {
        this.unknownEventKeys.add(k);
        this.d.log.info({ key: k }, 'hardware event carries an unknown key (logged once); add it to events.fields if it matters');
      }
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private publishEventRow(ev: Record<string, unknown>, he: HardwareEvent, t: Target): void {
    const raw = this.d.hooks()?.raw;
    if (!raw) return;
    const payload: OnGuardRawStatusInput = {
      source: 'event',
      event: ev,
      resolved: { native_type: t.type, object: t.keyMap, status: he.verdict === 'lost' ? 'offline' : 'online', timestamp: he.timestamp, description: he.description, native_event_id: he.eventId },
    };
    const key = `ev:${he.eventId ?? stableHash(JSON.stringify(ev))}:${t.type}:${JSON.stringify(t.keyMap)}`;
    this.d.counters.inc('event_rows_published');
    // A failed publish is repaired by the kit (a status poll); here it is only counted.
    void this.track(raw.status(payload, key)).catch((e) => {
      this.d.counters.inc('event_publish_failed');
      this.d.log.error({ err: describeError(e) }, 'could not publish an event status message');
    });
  }

  /** Coalesces targets for a short delay, then reads their status (§5.5: the status bit is the truth). */
  private scheduleConfirm(targets: Target[]): void {
    for (const t of targets) mergeTarget(this.pendingConfirm, t);
    if (this.confirmTimer || this.stopped) return;
    this.confirmTimer = setTimeout(() => {
      this.confirmTimer = null;
      const batch = [...this.pendingConfirm.values()];
      this.pendingConfirm.clear();
      this.confirming = this.confirming.then(() => this.confirm(batch));
    }, this.d.cfg.confirm_delay);
  }

  private async confirm(targets: Target[]): Promise<void> {
    const hooks = this.d.hooks();
    if (!hooks || targets.length === 0 || this.stopped) return;
    try {
      const read = { via: 'event' as const, reason: 'event confirmation', idx: this.d.index(), signal: new AbortController().signal, dedupePrefix: `confirm:${Date.now()}` };
      const n = await this.track(readAndPublish(this.d.reader, this.d.memory, hooks.raw, withPanels(targets), read));
      this.d.counters.inc('event_confirm_rows', n);
    } catch (e) {
      this.d.counters.inc('event_confirm_failed');
      this.d.log.warn({ err: describeError(e), kind: errorKind(e) }, 'could not confirm an event with GetHardwareStatus; the next poll will');
      hooks.requestReconcile('event confirmation failed');
    }
  }
}
