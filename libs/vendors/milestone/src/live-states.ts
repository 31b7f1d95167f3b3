import { randomUUID } from 'node:crypto';
import { toUtcIso } from '@edge/contracts';
import type { Counters } from '@edge/platform';
import { LastKnownState, type OrderedStatusQueue, type RawPublisher } from '@edge/collector-kit';
import type { MilestoneConfig } from './config';
import { COMMUNICATION_MEANING, parseSource, sourceKey, type DeviceResourceType } from './constants';
import { GroupFallback } from './events-ws/group-fallback';
import type { RsTypeRegistry } from './rs-type-registry';
import type { EssEvent, MilestoneStatusPayloadInput, StatusContext } from './raw-schema';

/** The id of every `getState` row: state rows are not events (real getState dumps, github.com/jerahl/MilestoneZabbix `milestone_ess_state.json`). */
const NIL_ID = '00000000-0000-0000-0000-000000000000';

/**
 * One string per distinct value, for fields drawn from a small vocabulary. Bounded: past `max`
 * distinct values a string is returned as it came, so an unexpected open-ended field costs
 * nothing more than before.
 */
export class StringPool {
  private readonly pool = new Map<string, string>();

  constructor(private readonly max: number) {}

  get(s: string): string {
    const held = this.pool.get(s);
    if (held !== undefined) return held;
    if (this.pool.size < this.max) this.pool.set(s, s);
    return s;
  }
}

function timeMs(e: EssEvent): number {
  const iso = toUtcIso(e.time);
  return iso ? Date.parse(iso) : 0;
}

/**
 * The live state of one XProtect system: the newest communication row per source (the kit's
 * `LastKnownState`: an event older than the state held does not replace it), which sources the
 * last inventory found disabled, the fallback for refused subscription groups, and the
 * publishing of state rows in chunks through the ordered status queue.
 */
export class LiveStates {
  readonly states = new LastKnownState<EssEvent>({ timeOf: timeMs, same: (a, b) => a.type === b.type });
  /** Channels of subscription groups the server refused: polled through their hardware's state. */
  readonly fallback = new GroupFallback();
  /**
   * The state cache is current: a baseline was taken on this session and every event since has
   * been seen. While not, inventory items carry no state (→ `unknown`, "no knowledge") rather
   * than a state that may have changed during a gap.
   */
  fresh = false;
  /** One string per distinct value of the rows' vocabulary fields. */
  private readonly vocabulary = new StringPool(4096);
  /** Sources disabled in configuration, from the last complete inventory. */
  private disabled = new Set<string>();
  private inventoryDone = false;
  private markInventoryKnown: () => void = () => undefined;
  /** Resolves when the first inventory completed: from then on disabled devices are known. */
  private readonly inventoryKnown = new Promise<void>((resolve) => (this.markInventoryKnown = resolve));

  constructor(
    private readonly cfg: MilestoneConfig,
    private readonly rs: RsTypeRegistry,
    private readonly queue: OrderedStatusQueue,
    private readonly counters: Counters,
  ) {}

  /** A complete inventory: these sources are disabled in configuration. */
  inventoryComplete(disabled: Set<string>): void {
    this.disabled = disabled;
    this.fallback.commit();
    this.inventoryDone = true;
    this.markInventoryKnown();
  }

  /** A row this collector maps: communication types for channels/hardware, responding types for recording servers. */
  relevant(row: EssEvent): { key: string; resourceType: DeviceResourceType } | null {
    const src = parseSource(row.source);
    if (!src) return null;
    const ok = src.resourceType === 'recordingServers' ? this.rs.isRsType(row.type) : COMMUNICATION_MEANING[row.type.toLowerCase()] !== undefined;
    return ok ? { key: sourceKey(src.resourceType, src.id), resourceType: src.resourceType } : null;
  }

  /**
   * Keeps the row as this source's state and returns the row as kept: the same fields, with one
   * string per distinct event type, state group and specversion (a 50 000-device baseline parses
   * 50 000 copies of a handful of GUIDs), the all-zero id of state rows shared, and the source
   * sharing the key's string when they are equal. The baseline publishes the kept rows, so the
   * parsed ones can go while the first inventory runs (bench/README.md, "Peak RSS per service").
   */
  remember(row: EssEvent, key: string): EssEvent {
    const kept: EssEvent = { ...row, id: row.id === NIL_ID ? NIL_ID : row.id, type: this.vocabulary.get(row.type), source: row.source === key ? key : row.source };
    if (typeof row.stategroupid === 'string') kept.stategroupid = this.vocabulary.get(row.stategroupid);
    if (typeof row.specversion === 'string') kept.specversion = this.vocabulary.get(row.specversion);
    this.states.put(key, kept);
    return kept;
  }

  /** What the mapper needs beside the rows: recording-server types and which sources are disabled. */
  context(rows: EssEvent[]): StatusContext {
    const disabledSources: string[] = [];
    for (const r of rows) {
      const src = parseSource(r.source);
      const key = src && sourceKey(src.resourceType, src.id);
      if (key && this.disabled.has(key) && !disabledSources.includes(key)) disabledSources.push(key);
    }
    return { recordingServerTypes: this.rs.meaning, disabledSources };
  }

  /** Learns recording-server types from the rows, updates the cache, returns the rows worth publishing. */
  async absorb(rows: EssEvent[]): Promise<EssEvent[]> {
    await this.rs.learnFromRows(rows);
    const relevant: EssEvent[] = [];
    for (const r of rows) {
      const rel = this.relevant(r);
      if (rel) relevant.push(this.remember(r, rel.key));
    }
    return relevant;
  }

  /** Pushed events, published in arrival order through the queue. */
  publishEvents(events: EssEvent[], raw: RawPublisher): void {
    for (const ev of events) {
      // A recording-server event of a type not seen yet: resolve its meaning, then publish.
      const resolve = this.rs.needsResolving(ev);
      void this.queue
        .push(async () => {
          if (resolve) await this.rs.resolve(ev.type);
          await this.publishEvent(ev, raw);
        })
        .catch(() => undefined);
    }
  }

  private async publishEvent(ev: EssEvent, raw: RawPublisher): Promise<void> {
    const rel = this.relevant(ev);
    if (!rel || !(await this.configKnownFor([ev])).length) {
      this.counters.inc('events_ignored');
      return;
    }
    this.remember(ev, rel.key);
    const payload: MilestoneStatusPayloadInput = { kind: 'event', event: ev, context: this.context([ev]) };
    await raw.status(payload, `ev:${ev.id.toLowerCase()}`);
    this.counters.inc('events_published');
  }

  /** Publishes rows in chunks (one baseline id); returns how many rows went out. */
  async publishRows(rows: EssEvent[], reason: string, raw: RawPublisher): Promise<number> {
    const relevant = await this.configKnownFor(rows);
    if (relevant.length === 0) return 0;
    const size = this.cfg.state_chunk_rows;
    const parts = Math.ceil(relevant.length / size);
    const baselineId = randomUUID();
    const publishes: Array<Promise<unknown>> = [];
    for (let i = 0; i < parts; i++) {
      const states = relevant.slice(i * size, (i + 1) * size);
      const payload: MilestoneStatusPayloadInput = { kind: 'state', baselineId, part: i, parts, reason, states, context: this.context(states) };
      publishes.push(this.queue.push(() => raw.status(payload, `state:${baselineId}:${i}`)));
    }
    await Promise.all(publishes);
    this.counters.inc('state_rows_published', relevant.length);
    return relevant.length;
  }

  /**
   * The first baseline waits (bounded) for the first inventory: a Communication Stopped row
   * means `disabled` or `offline` depending on configuration, which only the inventory knows.
   */
  async untilInventoryKnown(): Promise<void> {
    if (this.inventoryDone) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.inventoryKnown, new Promise<void>((r) => (timer = setTimeout(r, this.cfg.baseline_inventory_wait)))]);
    clearTimeout(timer);
  }

  /**
   * Rows whose meaning is certain now. A Communication Stopped means `disabled` or `offline`
   * depending on configuration, which only an inventory of this process knows: such rows wait
   * (bounded) for the first inventory, and are dropped if it still has not come — else a
   * restart with state rows newer than the last sync (a recording server restarted meanwhile)
   * would report disabled devices offline and then disabled again.
   */
  async configKnownFor(rows: EssEvent[]): Promise<EssEvent[]> {
    const stopped = (r: EssEvent) => COMMUNICATION_MEANING[r.type.toLowerCase()] === 'stopped';
    if (this.inventoryDone || !rows.some(stopped)) return rows;
    await this.untilInventoryKnown();
    if (this.inventoryDone) return rows;
    this.counters.inc('stopped_rows_held_back', rows.filter(stopped).length);
    return rows.filter((r) => !stopped(r));
  }
}
