import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { getCi, stableHash } from '@edge/contracts';
import { Counters, describeError, errorKind, registerSecret, type SystemConfig } from '@edge/platform';
import type { CollectorHooks, CollectorState, RawPublisher, SyncWriter, VendorCollector } from '@edge/collector-kit';
import { parseOnGuardSystem, type OnGuardSystemConfig } from './config';
import { OpenAccessClient } from './client/openaccess-client';
import { OpenAccessError } from './client/errors';
import { HardwareStatusReader } from './hardware-status';
import { discoverTypes, pagedVideoRecorders, readSegments, type TypeCapabilities } from './inventory';
import { StatusMemory } from './status-memory';
import { childStatusForSync, panelStatusForSync, type SyncStatusDeps } from './sync-status';
import { GapRecovery } from './gap-recovery';
import { endsTheSync, orderings, pagedInstancesOrdered, TypeFailures } from './type-listing';
import { EventBridge } from './event-bridge/event-bridge';
import { SubscriptionKeeper } from './event-bridge/subscription-keeper';
import { compileEventRules, readHardwareEvent, type CompiledEventRules, type HardwareEvent } from './event-bridge/hardware-event';
import { locateEvent } from './event-bridge/event-routing';
import { EventWatch } from './event-bridge/event-watch';
import { nativeKeyOf, ONGUARD_TYPES, parentKeyOf, typeInfo, VIDEO_RECORDER } from './mapper/types';
import { flag } from './mapper/onguard-mapper';
import { deviceNoOf, type DeviceIndex, type IndexedDevice, type Target } from './device-index';
import type { HardwareStatusRead, OnGuardRawDeviceInput, OnGuardRawStatusInput, PropertyValueMap, StatusRowInput } from './raw-schema';

const STATUS_BATCH = 100;
/** Events kept until an inventory can place them (the first inventory, a panel not listed yet). */
const MAX_UNPLACED = 1_000;
const PANEL = 'Lnl_Panel';

/** When the status carried by a composed device was read (null: no status in it). */
function readAt(d: OnGuardRawDeviceInput): string | undefined {
  return d.hardware_status?.read_at ?? undefined;
}

function nowIso(): string {
  return new Date().toISOString();
}

/**
 * One OnGuard system: inventory (types discovered, instances paged, each device composed with its
 * panel/recorder, segment and hardware status), status polls (UpdateHardwareStatus +
 * GetHardwareStatus), and the Web Event Bridge (lost/restored published at once, then confirmed
 * with a targeted status read). Every bridge (re)subscription asks the runner to reconcile.
 */
export class OnGuardCollector implements VendorCollector {
  readonly vendor = 'onguard';
  readonly systemId: string;
  readonly counters = new Counters();
  readonly client: OpenAccessClient;
  private readonly statusReader: HardwareStatusReader;
  private readonly bridge: EventBridge | null;
  private readonly rules: CompiledEventRules;
  private readonly intrusionPattern: RegExp;
  private hooks: CollectorHooks | null = null;
  private index: DeviceIndex | null = null;
  private walking: Promise<DeviceIndex> | null = null;
  private lastError: string | null = null;
  private readonly unknownEventKeys = new Set<string>();
  private readonly unplaced: Array<Record<string, unknown>> = [];
  private readonly watch: EventWatch;
  private readonly pendingConfirm = new Map<string, Target>();
  private readonly memory: StatusMemory;
  private readonly syncStatus: SyncStatusDeps;
  private readonly gap: GapRecovery;
  private confirmTimer: NodeJS.Timeout | null = null;
  private confirming: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<unknown>>();
  private stopped = false;
  /** Segment names of the last walk that read them (kept when a later read fails). */
  private segments = new Map<string, string>();
  /** `order_by` each type was last listed with (after a server refused a better one). */
  private readonly acceptedOrder = new Map<string, string | undefined>();

  constructor(
    readonly cfg: OnGuardSystemConfig,
    private readonly log: Logger,
  ) {
    this.systemId = cfg.id;
    registerSecret(cfg.password);
    registerSecret(cfg.application_id);
    this.client = new OpenAccessClient({
      baseUrl: cfg.base_url,
      username: cfg.username,
      password: cfg.password,
      directoryId: cfg.directory_id,
      applicationId: cfg.application_id,
      apiVersion: cfg.api_version,
      tls: cfg.tls,
      requestTimeoutMs: cfg.request_timeout,
      connectTimeoutMs: cfg.connect_timeout,
      maxConcurrency: cfg.max_concurrency,
      requestRetries: cfg.request_retries,
      maxCallsPerSecond: cfg.max_calls_per_second,
      renewBeforeMs: cfg.session.renew_before,
      keepaliveIntervalMs: cfg.session.keepalive_interval,
      authBackoff: { baseMs: cfg.session.auth_backoff_base, capMs: cfg.session.auth_backoff_cap },
      log: log.child({ component: 'openaccess' }),
    });
    this.statusReader = new HardwareStatusReader(
      this.client,
      { concurrency: cfg.status.concurrency, maxPerSecond: cfg.status.max_per_second, updatePanels: cfg.status.update_panels, updateSettleMs: cfg.status.update_settle },
      log.child({ component: 'hardware-status' }),
    );
    this.rules = compileEventRules(cfg.events);
    this.memory = new StatusMemory(cfg.status.full_sweep_interval);
    this.syncStatus = { reader: this.statusReader, memory: this.memory, panelReadsFreshForMs: cfg.status_interval };
    this.gap = new GapRecovery(this.client, log.child({ component: 'gap-recovery' }));
    this.watch = new EventWatch(cfg.events.keep_raw_events, cfg.events.unresolved_warn_interval, log.child({ component: 'events' }));
    this.intrusionPattern = new RegExp(cfg.inventory.intrusion_panel_pattern, 'i');
    this.bridge = cfg.events.enabled
      ? new EventBridge({
          client: this.client,
          url: `${this.client.apiBase}/${cfg.events.bridge_path.replace(/^\/+/, '')}`,
          cfg: cfg.events,
          tls: { ca: cfg.tls.ca_file ? readFileSync(cfg.tls.ca_file) : undefined, insecure: cfg.tls.insecure, servername: cfg.tls.servername, fingerprint256: cfg.tls.fingerprint_sha256 },
          log: log.child({ component: 'event-bridge' }),
          onEvent: (ev) => this.onBridgeEvent(ev),
          onConnected: (reason) => this.hooks?.requestReconcile(reason),
          onSubscribing: () => this.gap.gapStarts(),
          onSubscribed: () => (cfg.events.gap_recovery === 'logged_events' ? this.gap.mark() : Promise.resolve()),
        })
      : null;
  }

  // ------------------------------------------------------------------ lifecycle

  async start(hooks: CollectorHooks): Promise<void> {
    this.hooks = hooks;
    try {
      await this.client.sessionToken();
    } catch (e) {
      // Not fatal: the runner's syncs and polls retry, and the bridge waits for the session.
      this.lastError = describeError(e);
      this.log.warn({ err: this.lastError }, 'OnGuard not reachable at start; retrying in the background');
    }
    this.bridge?.start(
      new SubscriptionKeeper(this.client, hooks.state, { description: this.cfg.events.description, filter: this.cfg.events.filter, site: hooks.raw.ident.site_id, system: this.systemId }, this.log.child({ component: 'event-subscription' })),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    await this.bridge?.stop();
    await Promise.race([Promise.allSettled([...this.inflight, this.confirming]), new Promise((r) => setTimeout(r, 5_000))]);
    await this.client.close(this.cfg.session.logout_on_stop);
  }

  state(): CollectorState {
    const cs = this.client.state();
    const bs = this.bridge?.state() ?? null;
    const connection = cs.session === 'blocked' ? 'auth_failed' : cs.session === 'active' ? 'connected' : cs.last_error && !cs.last_ok_at ? 'disconnected' : 'connecting';
    return {
      connection,
      events: bs ? bs.state : 'disabled',
      last_error: cs.blocked_reason ?? this.lastError ?? bs?.last_error ?? cs.last_error,
      details: {
        api_base: this.client.apiBase,
        server_version: cs.server_version,
        session: cs,
        bridge: bs,
        index: this.index ? { panels: this.index.panels.size, built_at: this.index.builtAt } : null,
        events: this.watch.snapshot(),
        status_reads: this.memory.state(),
        gap_recovery: this.gap.state(),
        counters: { ...this.client.counters.snapshot(), ...prefix('bridge_', this.bridge?.counters.snapshot() ?? {}), ...this.counters.snapshot() },
      },
    };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  // ------------------------------------------------------------------ inventory

  private keyPropsOf(type: string, caps: Map<string, TypeCapabilities>): string[] {
    return caps.get(type)?.keyProperties ?? typeInfo(type).keys;
  }

  private keyMapOf(type: string, obj: PropertyValueMap, caps: Map<string, TypeCapabilities>): Record<string, unknown> | null {
    const out: Record<string, unknown> = {};
    for (const k of this.keyPropsOf(type, caps)) {
      const v = getCi(obj, k);
      if (v === undefined || v === null || v === '') return null;
      out[k] = v;
    }
    return out;
  }

  private keyOf(type: string, caps: Map<string, TypeCapabilities>): (p: PropertyValueMap) => string | null {
    const learnt = ONGUARD_TYPES[type] ? undefined : (caps.get(type)?.keyProperties ?? undefined);
    return (p) => nativeKeyOf(type, p, learnt);
  }

  /** Pages a type with a stable `order_by` (its keys, §6.4), falling back as the server allows. */
  private list(type: string, caps: Map<string, TypeCapabilities>, page: { pageSize: number; signal: AbortSignal; log: Logger }) {
    const all = orderings(typeInfo(type, caps.get(type)?.keyProperties ?? undefined).keys);
    const from = this.acceptedOrder.has(type) ? Math.max(0, all.indexOf(this.acceptedOrder.get(type))) : 0;
    return pagedInstancesOrdered(this.client, type, this.keyOf(type, caps), { ...page, orderings: all.slice(from), remember: (ob) => this.acceptedOrder.set(type, ob) });
  }

  private segmentOf(segments: Map<string, string>, id: unknown): { id: string | number; name: string | null } | null {
    if (id === undefined || id === null || id === '' || Number(id) === 0) return null;
    return { id: typeof id === 'number' ? id : String(id), name: segments.get(String(id)) ?? null };
  }

  async runInventory(writer: SyncWriter, signal: AbortSignal): Promise<void> {
    // Stamped with the time its status was read: a status event that came in since is newer.
    const walk = this.walk({ emit: (d) => writer.device(d, readAt(d)), readStatus: this.cfg.inventory.status, failType: (t, r) => writer.failType(t, r) }, signal);
    this.walking = walk;
    try {
      const idx = await walk;
      this.index = idx;
      this.lastError = null;
      this.replayUnplaced();
    } catch (e) {
      this.lastError = describeError(e);
      throw e;
    } finally {
      if (this.walking === walk) this.walking = null;
    }
  }

  /**
   * Pages every configured type once, in bounded memory: panels and recorders are kept (they
   * are parents), everything else streams page by page into `emit`. Returns the device index.
   */
  private async walk(
    o: { emit: ((d: OnGuardRawDeviceInput) => Promise<void>) | null; readStatus: boolean; failType?: (type: string, reason: string) => void },
    signal: AbortSignal,
  ): Promise<DeviceIndex> {
    const log = this.log;
    const inv = this.cfg.inventory;
    const page = { pageSize: inv.page_size, signal, log };
    const failures = new TypeFailures(log, o.failType ?? null);
    const caps = await discoverTypes(this.client, [...new Set([...inv.types, 'Lnl_Segment'])], log, signal, (t, e) => failures.add(t, e));
    for (const c of caps.values()) this.statusReader.learn(c.name, { status: c.statusMethod, update: c.updateMethod });
    const segments = await readSegments(this.client, caps, page).catch((e: unknown) => {
      if (endsTheSync(e, signal)) throw e;
      log.warn({ err: (e as Error).message }, 'could not read segments; locations keep the names last read');
      return this.segments;
    });
    this.segments = segments;
    const idx: DeviceIndex = { panels: new Map(), children: new Map(), loose: [], builtAt: nowIso() };
    const liveRecorder = this.cfg.recorder_is_online === 'live';

    // Recorders first: cameras need them as parents.
    const recorders = new Map<string, PropertyValueMap>();
    if (inv.video_recorders && o.emit) await failures.run(VIDEO_RECORDER, signal, async () => {
      for await (const items of pagedVideoRecorders(this.client, page)) {
        for (const r of items) {
          const obj = r as PropertyValueMap;
          recorders.set(String(r.id), obj);
          await o.emit?.({ native_type: VIDEO_RECORDER, object: obj, segment: this.segmentOf(segments, r.segment_id), hints: liveRecorder ? { is_online_live: true } : {} });
        }
      }
    });

    // Panels: kept in memory (parents of everything else); one status pass for all of them.
    const panelStatus = new Map<string, HardwareStatusRead>();
    // Status reads follow the audit-log plan: a full sweep when due, else panels (or their recent
    // reads) and the devices of panels that changed; other devices carry their last read.
    const sweep = o.readStatus && this.memory.sweepDue();
    const changedPanels = new Set<string>();
    const panelsListed = !caps.has(PANEL) || (await failures.run(PANEL, signal, async () => {
      let skipped = 0;
      for await (const items of this.list(PANEL, caps, page)) {
        for (const p of items) {
          const pt = String(getCi(p, 'PanelType') ?? '');
          const key = nativeKeyOf(PANEL, p)!;
          // Logical sources are not hardware; a recorder listed as a panel too is already a recorder.
          if (inv.skip_panel_types.some((s) => s.toLowerCase() === pt.toLowerCase()) || recorders.has(key)) {
            skipped++;
            continue;
          }
          idx.panels.set(key, p);
        }
      }
      if (skipped > 0) log.debug({ skipped }, 'Lnl_Panel rows that are not access/intrusion hardware (logical sources, recorders) skipped');
      const panels = [...idx.panels.entries()];
      const capable = caps.get(PANEL)?.hasStatusMethod ?? false;
      if (o.readStatus && capable)
        await panelStatusForSync(this.syncStatus, panels, (p) => this.keyMapOf(PANEL, p, caps), caps.get(PANEL)?.statusOutParam, sweep, { reads: panelStatus, changed: changedPanels }, signal);
      for (const [key, p] of panels) {
        if (signal.aborted) throw new OpenAccessError('retryable', 'onguard_aborted', 'inventory aborted');
        const pt = String(getCi(p, 'PanelType') ?? '');
        await o.emit?.({
          native_type: PANEL,
          object: p,
          segment: this.segmentOf(segments, getCi(p, 'SegmentID')),
          hardware_status: panelStatus.get(key) ?? null,
          hints: { intrusion_panel: this.intrusionPattern.test(pt) },
        });
      }
    }));
    // Without a panel listing, status polls keep the panels the last inventory knew.
    if (!panelsListed && this.index) for (const [k, p] of this.index.panels) idx.panels.set(k, p);

    // Every other type streams page by page.
    for (const type of inv.types) {
      if (type === PANEL || !caps.has(type)) continue;
      const cap = caps.get(type)!;
      const info = typeInfo(type, cap.keyProperties ?? undefined);
      const statusCapable = cap.hasStatusMethod && info.statusKind !== 'none';
      // Building the index only (a poll before any inventory): types without status are not needed.
      if (!o.emit && !statusCapable) continue;
      let blank = 0;
      const listed = await failures.run(type, signal, async () => {
        for await (const items of this.list(type, caps, page)) {
          const rows = type === 'Lnl_Camera' && inv.skip_blank_camera_names ? items.filter((c) => String(getCi(c, 'NAME') ?? getCi(c, 'Name') ?? '').trim() !== '' || (blank++, false)) : items;
          const reads = o.readStatus && statusCapable ? await childStatusForSync(this.syncStatus, type, rows, (r) => this.keyMapOf(type, r, caps), cap.statusOutParam, sweep, changedPanels, signal) : [];
          for (let i = 0; i < rows.length; i++) {
            if (signal.aborted) throw new OpenAccessError('retryable', 'onguard_aborted', 'inventory aborted');
            const obj = rows[i];
            const parent = parentKeyOf(type, obj);
            const panel = parent?.type === PANEL ? (idx.panels.get(parent.key) ?? null) : null;
            const recorder = parent?.type === VIDEO_RECORDER ? (recorders.get(parent.key) ?? null) : null;
            const segId = panel ? getCi(panel, 'SegmentID') : recorder ? getCi(recorder, 'segment_id') : getCi(obj, 'SegmentID');
            await o.emit?.({
              native_type: type,
              object: obj,
              panel,
              recorder,
              segment: this.segmentOf(segments, segId),
              hardware_status: reads[i] ?? null,
              panel_status: parent?.type === PANEL ? (panelStatus.get(parent.key) ?? null) : null,
              hints: {
                ...(type === 'Lnl_Camera' && liveRecorder ? { is_online_live: true } : {}),
                ...(info.deviceType === 'other' && cap.keyProperties ? { key_properties: cap.keyProperties } : {}),
              },
            });
            if (statusCapable) {
              const keyMap = this.keyMapOf(type, obj, caps);
              if (!keyMap) continue;
              const dev: IndexedDevice = { type, keyMap, deviceNo: deviceNoOf(type, obj), outParam: cap.statusOutParam };
              if (parent?.type === PANEL) {
                let xs = idx.children.get(parent.key);
                if (!xs) idx.children.set(parent.key, (xs = []));
                xs.push(dev);
              } else idx.loose.push(dev);
            }
          }
        }
      });
      if (!listed && this.index) this.keepChildren(type, idx, this.index);
      if (blank > 0) log.debug({ blank }, 'blank Lnl_Camera rows skipped');
    }
    failures.throwIfNothingListed();
    if (sweep) this.memory.sweepDone();
    idx.builtAt = nowIso();
    return idx;
  }

  /** A type that could not be listed keeps the devices the previous index had of it. */
  private keepChildren(type: string, idx: DeviceIndex, prev: DeviceIndex): void {
    for (const [panel, xs] of prev.children) {
      const kept = xs.filter((d) => d.type === type);
      if (kept.length > 0) idx.children.set(panel, [...(idx.children.get(panel) ?? []), ...kept]);
    }
    idx.loose.push(...prev.loose.filter((d) => d.type === type));
  }

  /** The index of the last complete inventory; built (without publishing) when there is none yet. */
  private async currentIndex(signal: AbortSignal): Promise<DeviceIndex> {
    if (this.index) return this.index;
    if (this.walking) {
      try {
        return await this.walking;
      } catch {
        // Fall through and build one.
      }
    }
    const idx = await this.walk({ emit: null, readStatus: false }, signal);
    if (!this.index) {
      this.index = idx;
      this.replayUnplaced();
    }
    return idx;
  }

  // ------------------------------------------------------------------ status

  private panelRowObject(key: string, idx: DeviceIndex): PropertyValueMap {
    const p = idx.panels.get(key);
    return p ? { ID: getCi(p, 'ID'), IsOnline: getCi(p, 'IsOnline') } : { ID: Number(key) };
  }

  /** Reads targets (panels first, so children carry their panel's read) and publishes rows in batches. */
  private async readAndPublish(raw: RawPublisher, targets: Target[], via: 'poll' | 'event', reason: string, idx: DeviceIndex | null, signal: AbortSignal, dedupePrefix: string): Promise<number> {
    const panelTargets = targets.filter((t) => t.type === PANEL);
    const panelReads = new Map<string, HardwareStatusRead>();
    const changedPanels = new Set<string>();
    let batch: StatusRowInput[] = [];
    let batchNo = 0;
    let published = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const payload: OnGuardRawStatusInput = { source: 'hardware_status', via, reason, rows: batch };
      const rows = batch;
      batch = [];
      await raw.status(payload, `${dedupePrefix}:${batchNo++}:${stableHash(rows.map((r) => `${r.native_type}:${JSON.stringify(r.object)}:${r.hardware_status?.status}`).join('|'))}`);
      published += rows.length;
    };
    const panelProps = (key: string | null) => (key && idx ? this.panelRowObject(key, idx) : key ? { ID: Number(key) } : null);
    const prs = await this.statusReader.readAll(panelTargets, (t) => ({ type: t.type, key: t.keyMap, outParam: t.outParam }), signal);
    for (let i = 0; i < panelTargets.length; i++) {
      const t = panelTargets[i];
      const r = prs[i];
      if (!r) continue;
      if (t.panelKey) panelReads.set(t.panelKey, r);
      if (this.memory.put(PANEL, t.keyMap, r) && t.panelKey) changedPanels.add(t.panelKey);
      batch.push({ native_type: PANEL, object: t.panelKey && idx ? this.panelRowObject(t.panelKey, idx) : t.keyMap, hardware_status: r });
      if (batch.length >= STATUS_BATCH) await flush();
    }
    // Readers and modules of a panel whose status did not change are not read (audit-log load).
    const others = targets.filter((t) => t.type !== PANEL && (!t.secondary || (t.panelKey !== null && changedPanels.has(t.panelKey))));
    for (let off = 0; off < others.length; off += STATUS_BATCH) {
      const chunk = others.slice(off, off + STATUS_BATCH);
      const rs = await this.statusReader.readAll(chunk, (t) => ({ type: t.type, key: t.keyMap, outParam: t.outParam }), signal);
      chunk.forEach((t, i) => {
        const r = rs[i];
        if (!r) return;
        this.memory.put(t.type, t.keyMap, r);
        batch.push({ native_type: t.type, object: t.keyMap, panel: panelProps(t.panelKey), hardware_status: r, panel_status: t.panelKey ? (panelReads.get(t.panelKey) ?? null) : null });
      });
      if (batch.length >= STATUS_BATCH) await flush();
    }
    await flush();
    return published;
  }

  /** Every panel and its devices; `sweep` false: the devices only where their panel changed. */
  private targetsOf(idx: DeviceIndex, sweep: boolean): Target[] {
    const out: Target[] = [];
    for (const [key, p] of idx.panels) {
      out.push({ type: PANEL, keyMap: { ID: getCi(p, 'ID') }, panelKey: key, outParam: 'Status' });
      for (const c of idx.children.get(key) ?? []) out.push({ type: c.type, keyMap: c.keyMap, panelKey: key, outParam: c.outParam, secondary: !sweep });
    }
    // Devices on no panel (cameras on recorders) are read on full sweeps and when an event names them.
    for (const c of idx.loose) out.push({ type: c.type, keyMap: c.keyMap, panelKey: null, outParam: c.outParam, secondary: !sweep });
    return out;
  }

  async pollStatus(raw: RawPublisher, signal: AbortSignal, reason: string): Promise<{ devices: number }> {
    const idx = await this.currentIndex(signal);
    const pollId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    if (reason.startsWith('reconcile') && this.cfg.events.gap_recovery === 'logged_events') {
      const targets = await this.gapTargets(idx, signal);
      if (targets !== null) {
        const n = targets.length ? await this.readAndPublish(raw, withPanels(targets), 'poll', reason, idx, signal, `gap:${pollId}`) : 0;
        this.counters.inc('gap_recoveries_from_logged_events');
        return { devices: n };
      }
    }
    // A full sweep (UpdateHardwareStatus, every device) only as often as configured; else the panels.
    const sweep = this.memory.sweepDue();
    if (sweep) {
      const enabledPanels = [...idx.panels.values()].filter((p) => flag(getCi(p, 'IsOnline')) !== false).map((p) => ({ ID: getCi(p, 'ID') }));
      await this.statusReader.updatePanels(enabledPanels, signal);
    }
    const n = await this.readAndPublish(raw, this.targetsOf(idx, sweep), 'poll', reason, idx, signal, `poll:${pollId}`);
    if (sweep) this.memory.sweepDone();
    else this.memory.panelPassDone();
    this.counters.inc('status_rows_polled', n);
    return { devices: n };
  }

  /** The devices the events of a bridge gap name (none when nothing happened); null: use the panels. */
  private async gapTargets(idx: DeviceIndex, signal: AbortSignal): Promise<Target[] | null> {
    const events = await this.gap.since(signal);
    if (events === null) return null;
    const out = new Map<string, Target>();
    for (const ev of events) {
      const place = locateEvent(readHardwareEvent(ev, this.rules), idx, this.cfg.events.confirm_children);
      const ts = place.kind === 'device' ? place.targets : place.kind === 'unknown_device' ? [place.panel, ...place.children] : [];
      for (const t of ts) mergeTarget(out, t);
    }
    return [...out.values()];
  }

  // ------------------------------------------------------------------ events

  private onBridgeEvent(ev: Record<string, unknown>, replay = false): void {
    if (!replay) this.counters.inc('events_received');
    const he = readHardwareEvent(ev, this.rules);
    this.gap.seenSerial(he.eventId);
    for (const k of he.unknownKeys) {
      if (this.unknownEventKeys.size < 200 && !this.unknownEventKeys.has(k)) {
        this.unknownEventKeys.add(k);
        this.log.info({ key: k }, 'hardware event carries an unknown key (logged once); add it to events.fields if it matters');
      }
    }
    const filter = this.cfg.events.filter.toLowerCase();
    if (he.eventClass !== null && filter.trim() !== '' && !filter.includes(he.eventClass.toLowerCase())) {
      this.counters.inc('events_other_class');
      this.watch.record(ev, 'other_class');
      return;
    }
    const place = locateEvent(he, this.index, this.cfg.events.confirm_children);
    this.watch.record(ev, place.kind);
    if (he.verdict === 'ignore') {
      this.counters.inc('events_ignored');
      return;
    }
    if (place.kind === 'device') {
      // Published only for devices the inventory knows; ambiguous device numbers are left to the confirming read.
      const primary = place.targets.filter((t) => t.primary);
      if ((he.verdict === 'lost' || he.verdict === 'restored') && primary.length === 1) this.publishEventRow(ev, he, primary[0]);
      if (this.cfg.events.confirm) this.scheduleConfirm(place.targets);
    } else if (place.kind === 'unknown_device') {
      // A device the inventory does not list (yet): no phantom status, a reconcile of that panel.
      this.counters.inc('events_unknown_device');
      this.scheduleConfirm([place.panel, ...place.children]);
    } else if (place.kind === 'unknown_panel') {
      this.counters.inc('events_unknown_panel');
      // No inventory yet, or a panel it does not list yet: placed again after the next inventory.
      if (!replay && this.unplaced.length < MAX_UNPLACED) this.unplaced.push(ev);
    } else this.counters.inc('events_unread');
  }

  /** Events that arrived before the inventory could place them, handled against the new index. */
  private replayUnplaced(): void {
    const evs = this.unplaced.splice(0);
    for (const ev of evs) this.onBridgeEvent(ev, true);
    if (evs.length > 0) this.counters.inc('events_replayed', evs.length);
  }

  private publishEventRow(ev: Record<string, unknown>, he: HardwareEvent, t: Target): void {
    const raw = this.hooks?.raw;
    if (!raw) return;
    const payload: OnGuardRawStatusInput = {
      source: 'event',
      event: ev,
      resolved: {
        native_type: t.type,
        object: t.keyMap,
        status: he.verdict === 'lost' ? 'offline' : 'online',
        timestamp: he.timestamp,
        description: he.description,
        native_event_id: he.eventId,
      },
    };
    const key = `ev:${he.eventId ?? stableHash(JSON.stringify(ev))}:${t.type}:${JSON.stringify(t.keyMap)}`;
    this.counters.inc('event_rows_published');
    void this.track(raw.status(payload, key)).catch((e) => {
      this.counters.inc('event_publish_failed');
      this.log.error({ err: describeError(e) }, 'could not publish an event status message');
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
    }, this.cfg.events.confirm_delay);
  }

  private async confirm(targets: Target[]): Promise<void> {
    const raw = this.hooks?.raw;
    if (!raw || targets.length === 0 || this.stopped) return;
    try {
      const n = await this.track(this.readAndPublish(raw, withPanels(targets), 'event', 'event confirmation', this.index, new AbortController().signal, `confirm:${Date.now()}`));
      this.counters.inc('event_confirm_rows', n);
    } catch (e) {
      this.counters.inc('event_confirm_failed');
      this.log.warn({ err: describeError(e), kind: errorKind(e) }, 'could not confirm an event with GetHardwareStatus; the next poll will');
      this.hooks?.requestReconcile('event confirmation failed');
    }
  }
}

/** Adds a target once; a device wanted for itself (not only as its panel's child) stays wanted. */
function mergeTarget(into: Map<string, Target>, t: Target): void {
  const k = `${t.type}:${JSON.stringify(t.keyMap)}`;
  const prev = into.get(k);
  into.set(k, prev ? { ...t, secondary: Boolean(prev.secondary && t.secondary) } : t);
}

/** Children's reasons need their panel's read: the panel of every child is added. */
function withPanels(targets: Target[]): Target[] {
  const out = [...targets];
  const panels = new Set(targets.filter((t) => t.type === PANEL).map((t) => t.panelKey));
  for (const t of targets) {
    if (t.type !== PANEL && t.panelKey && !panels.has(t.panelKey)) {
      panels.add(t.panelKey);
      out.push({ type: PANEL, keyMap: { ID: Number(t.panelKey) }, panelKey: t.panelKey, outParam: 'Status' });
    }
  }
  return out;
}

function prefix(p: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${p}${k}`, v]));
}

/** Factory used by the collector service: validates the vendor extras, then builds the collector. */
export function createOnGuardCollector(system: SystemConfig, log: Logger): OnGuardCollector {
  return new OnGuardCollector(parseOnGuardSystem(system), log.child({ vendor: 'onguard', system_id: system.id }));
}

