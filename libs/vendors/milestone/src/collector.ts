import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { toUtcIso } from '@edge/contracts';
import { Counters, describeError, errorKind, type SystemConfig } from '@edge/platform';
import type { CollectorHooks, CollectorState, RawPublisher, SyncWriter, VendorCollector } from '@edge/collector-kit';
import { ConfigApiClient } from './client/config-api-client';
import { HttpTransport } from './client/http';
import { IdpAuth } from './client/idp-auth';
import { tlsOptionsFrom, type TlsOptions } from './client/tls';
import { gatewayUrls, type GatewayUrls } from './client/urls';
import { parseMilestoneConfig, type MilestoneConfig } from './config';
import { COMMUNICATION_MEANING, parseSource, sourceKey, type DeviceResourceType } from './constants';
import { subscriptionGroups } from './events-ws/filters';
import { EventStream, oneShotState } from './events-ws/event-stream';
import { GroupFallback } from './events-ws/group-fallback';
import { classifyResponding, discoverFromConfig, discoverFromState, NO_RS_TYPES, type RsTypes } from './events-ws/rs-event-types';
import { streamInventory, type InventoryDevice, type InventoryStats } from './inventory';
import { RecordingServer, itemId, type EssEvent, type MilestoneDevicePayloadInput, type MilestoneStatusPayloadInput, type StatusContext } from './raw-schema';
import { flagFalse, RecordingServerProbes } from './rs-probes';
import { LiveStateGate } from './live-state';
import { collectorState } from './collector-state';
import { DriverSettingsCache } from './driver-settings-cache';

/** Pending status publishes beyond this are dropped and a reconcile poll is requested instead. */
const MAX_QUEUED_PUBLISHES = 50_000;
/** How long `start()` waits for the first subscription before returning (then it goes on in the background). */
const START_WAIT_MS = 10_000;

function timeMs(e: EssEvent): number {
  const iso = toUtcIso(e.time);
  return iso ? Date.parse(iso) : 0;
}

/**
 * The XProtect collector of one system. Inventory through the Configuration REST API; live
 * state through the Events and State WebSocket API (baseline getState + pushed communication
 * events), published to RAW as composed raw payloads; a periodic getState as the repair path
 * (`pollStatus`); recording servers by discovered event types or, failing that, a TCP probe.
 */
export class MilestoneCollector implements VendorCollector {
  readonly vendor = 'milestone';
  readonly systemId: string;
  readonly counters = new Counters();
  readonly urls: GatewayUrls;
  readonly auth: IdpAuth;
  readonly api: ConfigApiClient;
  readonly stream: EventStream;
  private readonly http: HttpTransport;
  private readonly tls: TlsOptions;
  private hooks: CollectorHooks | null = null;
  /** Latest communication row/event per source (`cameras/<guid>`): the state inventory items carry. */
  private readonly states = new Map<string, EssEvent>();
  /** Sources disabled in configuration, from the last complete inventory. */
  private disabled = new Set<string>();
  private rsTypes: RsTypes = { ...NO_RS_TYPES };
  private readonly notRsTypes = new Set<string>();
  private readonly probes: RecordingServerProbes;
  /** Channels of subscription groups the server refused: polled through their hardware's state. */
  private readonly fallback = new GroupFallback();
  /** Server version and whether it has live state (2023 R3+). */
  readonly live = new LiveStateGate();
  private readonly driverCache: DriverSettingsCache;
  private lastInventory: InventoryStats | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private lastError: string | null = null;
  private stopped = false;
  /** Resolves when the first inventory completed: from then on disabled devices are known. */
  private readonly inventoryKnown: Promise<void>;
  private markInventoryKnown: () => void = () => undefined;
  private inventoryDone = false;
  /**
   * The state cache is current: a baseline was taken on this session and every event since has
   * been seen. While not, inventory items carry no state (→ `unknown`, "no knowledge") rather
   * than a state that may have changed during a gap.
   */
  private stateFresh = false;

  constructor(
    readonly cfg: MilestoneConfig,
    private readonly log: Logger,
  ) {
    this.systemId = cfg.id;
    this.inventoryKnown = new Promise((resolve) => {
      this.markInventoryKnown = resolve;
    });
    this.urls = gatewayUrls(cfg.base_url);
    this.driverCache = new DriverSettingsCache(cfg.driver_settings_ttl);
    this.tls = tlsOptionsFrom(cfg.tls);
    this.http = new HttpTransport({ tls: this.tls, timeoutMs: cfg.request_timeout, maxBodyBytes: cfg.max_answer, maxSockets: Math.max(16, cfg.driver_settings_concurrency * 2) });
    this.auth = new IdpAuth({
      root: this.urls.root,
      username: cfg.username,
      password: cfg.password,
      clientId: cfg.client_id,
      mode: cfg.auth,
      tls: this.tls,
      tokenPath: cfg.token_path,
      http: this.http,
      log,
      authRetryAfterMs: cfg.auth_retry_after,
      accountProblemRetryAfterMs: cfg.account_problem_retry_after,
      timeoutMs: Math.min(cfg.request_timeout, 60_000),
    });
    this.api = new ConfigApiClient({ restBase: this.urls.rest, auth: this.auth, http: this.http, log, retryForMs: cfg.retry_for, timeoutMs: cfg.request_timeout });
    this.probes = new RecordingServerProbes({
      api: this.api,
      cfg,
      log,
      eventTypesUsable: () => !this.stream.refusedGroups().has('recordingServers') && (this.rsTypes.responding.length > 0 || this.rsTypes.notResponding.length > 0),
      enqueue: (task) => this.enqueue(task),
    });
    const rt = cfg.recording_server_event_types;
    if (rt && (rt.responding.length || rt.not_responding.length)) this.rsTypes = { responding: rt.responding, notResponding: rt.not_responding, source: 'config' };
    this.stream = new EventStream({
      wsUrl: this.urls.ws,
      tls: this.tls,
      auth: this.auth,
      log,
      subscriptions: () => this.subscriptions(),
      resumeWindowMs: cfg.resume_window,
      commandTimeoutMs: cfg.command_timeout,
      getStateTimeoutMs: () => this.getStateTimeout(),
      maxPayloadBytes: cfg.ws_max_payload,
      pingIntervalMs: cfg.ws_ping_interval,
      handshakeTimeoutMs: Math.min(cfg.request_timeout, 30_000),
      reconnect: { baseMs: cfg.reconnect_base, capMs: cfg.reconnect_cap, floorMs: Math.min(500, cfg.reconnect_base) },
      onEvents: (events) => this.onEvents(events),
      onBaseline: async (rows, reason) => {
        // The cache is current at once (inventory items composed from now on carry state); the
        // publish waits for the first inventory, which knows which devices are disabled.
        const relevant = await this.absorb(rows);
        this.stateFresh = true;
        await this.untilInventoryKnown();
        await this.publishRows([...relevant, ...this.fallback.rows(this.states)], reason, this.requireHooks().raw);
      },
      onGap: (reason) => this.hooks?.requestReconcile(reason),
      onLink: (link) => {
        this.stateFresh = link === 'resumed';
      },
    });
  }

  async start(hooks: CollectorHooks): Promise<void> {
    this.hooks = hooks;
    if (this.cfg.tls.insecure) this.log.warn({ base_url: this.urls.root }, 'TLS certificate verification is OFF for this XProtect system (tls.insecure: true)');
    // Below 2023 R3 there is no Events and State API: no socket attempts at all.
    const live = await this.live.read(this.api, this.log, Math.min(this.cfg.request_timeout, 15_000));
    void (async () => {
      if (live) await this.discoverRsTypes();
      if (this.stopped) return;
      if (live) this.stream.start();
      this.probes.start(() => this.hooks?.raw ?? null);
    })();
    if (!live) return;
    // Returning once the baseline is in the cache lets the startup inventory carry live state.
    const deadline = Date.now() + START_WAIT_MS;
    if (await this.stream.waitSubscribed(START_WAIT_MS)) while (!this.stateFresh && !this.stopped && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.probes.stop();
    await this.stream.stop();
    await Promise.race([this.chain.catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
    this.http.close();
  }

  state(): CollectorState {
    return collectorState({
      stream: this.stream,
      auth: this.auth,
      live: this.live,
      lastError: this.lastError,
      details: {
        gateway: this.urls.root,
        ...(this.live.version ? {} : { version: this.lastInventory?.site_version ?? null }),
        recording_server_event_types: this.rsTypes,
        recording_server_probe: this.probes.needed() ? 'active' : 'off',
        probes: this.probes.summary(),
        known_states: this.states.size,
        state_fresh: this.stateFresh,
        publish_queue: this.queued,
        last_inventory: this.lastInventory,
        counters: this.counters.snapshot(),
      },
    });
  }

  // ---------------------------------------------------------------- inventory

  async runInventory(writer: SyncWriter, signal: AbortSignal): Promise<void> {
    const disabled = new Set<string>();
    const rsList: RecordingServer[] = [];
    const unavailable: string[] = [];
    try {
      const stats = await streamInventory(
        this.api,
        {
          pageSize: this.cfg.page_size,
          driverSettingsConcurrency: this.cfg.driver_settings_concurrency,
          fetchDriverSettings: this.cfg.driver_settings,
          driverSettingsCache: this.driverCache,
          cameraGroups: this.cfg.camera_groups,
          childTypes: this.cfg.child_types,
          signal,
          log: this.log,
        },
        async (d) => {
          const key = sourceKey(d.resourceType, itemId(d.item as { id?: string }));
          if (this.isConfigDisabled(d)) disabled.add(key);
          if (this.live.unsupported && d.resourceType !== 'recordingServers') unavailable.push(key);
          this.fallback.note(d.resourceType, key, d.hardware ? itemId(d.hardware) : null, this.stream.refusedGroups());
          if (d.resourceType === 'recordingServers') {
            const rs = RecordingServer.safeParse(d.item);
            if (rs.success) rsList.push(rs.data);
          }
          await writer.device(this.compose(d, key));
        },
      );
      if (!signal.aborted) {
        this.disabled = disabled;
        this.probes.setServers(rsList);
        this.lastInventory = stats;
        this.fallback.commit();
        this.lastError = null;
        this.inventoryDone = true;
        this.markInventoryKnown();
        if (unavailable.length) await this.live.publishUnavailable(this.requireHooks().raw, unavailable, this.cfg.state_chunk_rows, (i) => `unavailable:${randomUUID()}:${i}`);
      }
    } catch (e) {
      this.lastError = describeError(e);
      throw e;
    }
  }

  private isConfigDisabled(d: InventoryDevice): boolean {
    if (flagFalse((d.item as { enabled?: unknown }).enabled)) return true;
    if (d.resourceType === 'hardware' || d.resourceType === 'recordingServers') return false;
    return flagFalse((d.hardware as { enabled?: unknown } | null | undefined)?.enabled);
  }

  /** The inventory item plus what the collector knows live: state row, probe, RS event types. */
  private compose(d: InventoryDevice, key: string): MilestoneDevicePayloadInput {
    const id = key.slice(key.indexOf('/') + 1);
    return {
      ...d,
      state: this.stateFresh ? (this.states.get(key) ?? this.fallback.stateOf(d.resourceType, key, d.hardware ? itemId(d.hardware) : null, this.stream.refusedGroups(), this.states)) : null,
      probe: d.resourceType === 'recordingServers' ? (this.probes.results.get(id) ?? null) : null,
      recordingServerTypes: { responding: this.rsTypes.responding, notResponding: this.rsTypes.notResponding },
    };
  }

  // ---------------------------------------------------------------- status

  async pollStatus(raw: RawPublisher, signal: AbortSignal, reason: string): Promise<{ devices: number }> {
    // Below 2023 R3 only the recording-server probe has anything to poll.
    if (this.live.unsupported) return { devices: this.probes.needed() && !signal.aborted ? await this.probes.probeAll(raw, true).catch(() => 0) : 0 };
    let published = 0;
    let failure: unknown = null;
    try {
      const rows = this.stream.subscribed
        ? await this.stream.getState()
        : await oneShotState({
            wsUrl: this.urls.ws,
            tls: this.tls,
            auth: this.auth,
            log: this.log,
            subscriptions: () => this.subscriptions(),
            commandTimeoutMs: this.cfg.command_timeout,
            getStateTimeoutMs: () => this.getStateTimeout(),
            maxPayloadBytes: this.cfg.ws_max_payload,
            pingIntervalMs: this.cfg.ws_ping_interval,
            handshakeTimeoutMs: Math.min(this.cfg.request_timeout, 30_000),
          });
      if (!signal.aborted) published += await this.publishState(rows, `poll: ${reason}`, raw);
      if (!signal.aborted) published += await this.publishRows(this.fallback.rows(this.states), `poll: ${reason} (hardware state of refused groups)`, raw);
    } catch (e) {
      failure = e;
    }
    if (this.rsTypes.source === 'none') await this.discoverRsTypes();
    if (this.probes.needed() && !signal.aborted) published += await this.probes.probeAll(raw, true).catch(() => 0);
    if (failure) throw failure;
    return { devices: published };
  }

  /**
   * The first baseline waits (bounded) for the first inventory: a Communication Stopped row
   * means `disabled` or `offline` depending on configuration, which only the inventory knows.
   */
  private async untilInventoryKnown(): Promise<void> {
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
  private async configKnownFor(rows: EssEvent[]): Promise<EssEvent[]> {
    const stopped = (r: EssEvent) => COMMUNICATION_MEANING[r.type.toLowerCase()] === 'stopped';
    if (this.inventoryDone || !rows.some(stopped)) return rows;
    await this.untilInventoryKnown();
    if (this.inventoryDone) return rows;
    this.counters.inc('stopped_rows_held_back', rows.filter(stopped).length);
    return rows.filter((r) => !stopped(r));
  }

  /** getState timeout: the configured one, or more on a large site (it answers after minutes). */
  private getStateTimeout(): number {
    return Math.max(this.cfg.get_state_timeout, (this.lastInventory?.devices.cameras ?? 0) * this.cfg.get_state_timeout_per_camera);
  }

  private requireHooks(): CollectorHooks {
    if (!this.hooks) throw new Error('collector not started');
    return this.hooks;
  }

  private subscriptions() {
    const known = this.rsTypes.source === 'config' || (this.rsTypes.responding.length > 0 && this.rsTypes.notResponding.length > 0);
    return subscriptionGroups({
      childTypes: this.cfg.child_types,
      recordingServerTypes: known ? [...this.rsTypes.responding, ...this.rsTypes.notResponding] : null,
      includeRecordingServers: true,
    });
  }

  private isRsType(type: string): boolean {
    const t = type.toLowerCase();
    return this.rsTypes.responding.includes(t) || this.rsTypes.notResponding.includes(t);
  }

  /** A row this collector maps: communication types for channels/hardware, responding types for recording servers. */
  private relevant(row: EssEvent): { key: string; resourceType: DeviceResourceType } | null {
    const src = parseSource(row.source);
    if (!src) return null;
    const ok = src.resourceType === 'recordingServers' ? this.isRsType(row.type) : COMMUNICATION_MEANING[row.type.toLowerCase()] !== undefined;
    return ok ? { key: sourceKey(src.resourceType, src.id), resourceType: src.resourceType } : null;
  }

  /** Keeps the newest row per source (an event older than the state we hold doesn't replace it). */
  private remember(row: EssEvent, key: string): void {
    const prev = this.states.get(key);
    if (!prev || timeMs(row) >= timeMs(prev)) this.states.set(key, { id: row.id, time: row.time, type: row.type, source: row.source, stategroupid: row.stategroupid, specversion: row.specversion });
  }

  private context(rows: EssEvent[]): StatusContext {
    const disabledSources: string[] = [];
    for (const r of rows) {
      const src = parseSource(r.source);
      const key = src && sourceKey(src.resourceType, src.id);
      if (key && this.disabled.has(key) && !disabledSources.includes(key)) disabledSources.push(key);
    }
    return { recordingServerTypes: { responding: this.rsTypes.responding, notResponding: this.rsTypes.notResponding }, disabledSources };
  }

  /** Serialises status publishes (events keep their order in RAW); bounded. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    if (this.queued >= MAX_QUEUED_PUBLISHES) {
      this.counters.inc('status_dropped_queue_full');
      this.hooks?.requestReconcile('status publish queue full');
      return Promise.reject(new Error('status publish queue full'));
    }
    this.queued++;
    const run = this.chain.then(task, task);
    this.chain = run.then(
      () => undefined,
      (e: unknown) => {
        this.counters.inc('status_publish_failed');
        this.lastError = describeError(e);
        this.log.warn({ err: this.lastError }, 'status publish failed; asking for a status poll');
        this.hooks?.requestReconcile('status publish failed');
      },
    );
    void this.chain.finally(() => this.queued--);
    return run;
  }

  private onEvents(events: EssEvent[]): void {
    const raw = this.hooks?.raw;
    if (!raw) return;
    for (const ev of events) {
      const src = parseSource(ev.source);
      if (src?.resourceType === 'recordingServers' && !this.isRsType(ev.type) && this.rsTypes.source !== 'config' && !this.notRsTypes.has(ev.type.toLowerCase())) {
        // A recording-server event of a type not seen yet: resolve its meaning, then publish.
        void this.enqueue(async () => {
          await this.resolveRsType(ev.type);
          await this.publishEvent(ev, raw);
        }).catch(() => undefined);
        continue;
      }
      void this.enqueue(() => this.publishEvent(ev, raw)).catch(() => undefined);
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

  private async resolveRsType(type: string): Promise<void> {
    const t = type.toLowerCase();
    if (this.isRsType(t) || this.notRsTypes.has(t)) return;
    const et = await this.api.getData(`eventTypes/${encodeURIComponent(t)}`, undefined, AbortSignal.timeout(15_000)).catch(() => null);
    const c = et ? classifyResponding(et) : null;
    if (!c) {
      this.notRsTypes.add(t);
      return;
    }
    this.rsTypes = { ...this.rsTypes, [c]: [...this.rsTypes[c], t], source: this.rsTypes.source === 'none' ? 'state' : this.rsTypes.source };
    this.log.info({ type: t, meaning: c }, 'recording-server event type resolved from an event');
  }

  /** Publishes the relevant rows of a getState answer in chunks; returns how many rows went out. */
  private async publishState(rows: EssEvent[], reason: string, raw: RawPublisher): Promise<number> {
    return this.publishRows(await this.absorb(rows), reason, raw);
  }

  /** Learns recording-server types from the rows, updates the state cache, returns the rows worth publishing. */
  private async absorb(rows: EssEvent[]): Promise<EssEvent[]> {
    if (this.rsTypes.source !== 'config') await this.learnRsTypesFromRows(rows);
    const relevant: EssEvent[] = [];
    for (const r of rows) {
      const rel = this.relevant(r);
      if (!rel) continue;
      this.remember(r, rel.key);
      relevant.push(r);
    }
    return relevant;
  }

  private async publishRows(rows: EssEvent[], reason: string, raw: RawPublisher): Promise<number> {
    const relevant = await this.configKnownFor(rows);
    if (relevant.length === 0) return 0;
    const size = this.cfg.state_chunk_rows;
    const parts = Math.ceil(relevant.length / size);
    const baselineId = randomUUID();
    const publishes: Array<Promise<unknown>> = [];
    for (let i = 0; i < parts; i++) {
      const states = relevant.slice(i * size, (i + 1) * size);
      const payload: MilestoneStatusPayloadInput = { kind: 'state', baselineId, part: i, parts, reason, states, context: this.context(states) };
      publishes.push(this.enqueue(() => raw.status(payload, `state:${baselineId}:${i}`)));
    }
    await Promise.all(publishes);
    this.counters.inc('state_rows_published', relevant.length);
    return relevant.length;
  }

  private async learnRsTypesFromRows(rows: EssEvent[]): Promise<void> {
    const unknown = rows.filter((r) => parseSource(r.source)?.resourceType === 'recordingServers' && !this.isRsType(r.type) && !this.notRsTypes.has(r.type.toLowerCase()));
    if (unknown.length === 0) return;
    const found = await discoverFromState(unknown, this.api, AbortSignal.timeout(30_000)).catch(() => null);
    if (!found) return;
    for (const r of unknown) {
      const t = r.type.toLowerCase();
      if (!found.responding.includes(t) && !found.notResponding.includes(t)) this.notRsTypes.add(t);
    }
    if (found.source === 'none') return;
    this.rsTypes = {
      responding: [...new Set([...this.rsTypes.responding, ...found.responding])],
      notResponding: [...new Set([...this.rsTypes.notResponding, ...found.notResponding])],
      source: this.rsTypes.source === 'none' ? 'state' : this.rsTypes.source,
    };
    this.log.info({ recording_server_event_types: this.rsTypes }, 'recording-server event types learnt from getState');
  }

  private async discoverRsTypes(): Promise<void> {
    if (this.rsTypes.source === 'config') return;
    try {
      const found = await discoverFromConfig(this.api, AbortSignal.timeout(20_000));
      if (found.source === 'none') return;
      this.rsTypes = {
        responding: [...new Set([...this.rsTypes.responding, ...found.responding])],
        notResponding: [...new Set([...this.rsTypes.notResponding, ...found.notResponding])],
        source: this.rsTypes.source === 'none' ? found.source : this.rsTypes.source,
      };
      this.log.info({ recording_server_event_types: this.rsTypes }, 'recording-server event types discovered');
    } catch (e) {
      if (errorKind(e) === 'auth') this.lastError = describeError(e);
      this.log.warn({ err: describeError(e) }, 'recording-server event type discovery failed; will retry at the next status poll');
    }
  }
}

/** Validates a system's config and builds its collector (the service's `create`). */
export function createMilestoneCollector(system: SystemConfig, log: Logger): MilestoneCollector {
  return new MilestoneCollector(parseMilestoneConfig(system), log.child({ vendor: 'milestone', system_id: system.id }));
}
