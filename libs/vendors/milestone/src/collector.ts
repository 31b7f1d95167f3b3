import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Counters, describeError, retryPolicy, type SystemConfig } from '@edge/platform';
import { OrderedStatusQueue, type CollectorHooks, type CollectorState, type RawPublisher, type SyncWriter, type VendorCollector } from '@edge/collector-kit';
import type { ConfigApiClient } from './client/config-api-client';
import type { HttpTransport } from './client/http';
import type { IdpAuth } from './client/idp-auth';
import type { TlsOptions } from './client/tls';
import type { GatewayUrls } from './client/urls';
import { milestoneClients } from './client/clients';
import { parseMilestoneConfig, type MilestoneConfig } from './config';
import { sourceKey } from './constants';
import { EventStream, oneShotState } from './events-ws/event-stream';
import { configDisabled, streamInventory, type InventoryDevice, type InventoryStats } from './inventory';
import { RecordingServer, itemId, type EssEvent, type MilestoneDevicePayloadInput } from './raw-schema';
import { RecordingServerProbes } from './rs-probes';
import { LiveStateGate } from './live-state';
import { collectorState } from './collector-state';
import { DriverSettingsCache } from './driver-settings-cache';
import { RsTypeRegistry } from './rs-type-registry';
import { LiveStates } from './live-states';

/** Pending status publishes beyond this are dropped and a repair poll follows (the kit's). */
const MAX_QUEUED_PUBLISHES = 50_000;
/** How long `start()` waits for the first subscription before returning (then it goes on in the background). */
const START_WAIT_MS = 10_000;

/**
 * The XProtect collector of one system, on the collector kit. Inventory through the Configuration
 * REST API; live state through the Events and State WebSocket API (the kit's event-stream
 * lifecycle: baseline getState + pushed communication events), kept in `LiveStates` and published
 * to RAW through the kit's ordered status queue; a periodic getState as the repair path
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
  /** Server version and whether it has live state (2023 R3+). */
  readonly live = new LiveStateGate();
  private readonly http: HttpTransport;
  private readonly tls: TlsOptions;
  private readonly rs: RsTypeRegistry;
  private readonly known: LiveStates;
  private readonly queue: OrderedStatusQueue;
  private readonly probes: RecordingServerProbes;
  private readonly driverCache: DriverSettingsCache;
  private hooks: CollectorHooks | null = null;
  private lastInventory: InventoryStats | null = null;
  private lastError: string | null = null;
  private stopped = false;

  constructor(
    readonly cfg: MilestoneConfig,
    private readonly log: Logger,
  ) {
    this.systemId = cfg.id;
    ({ urls: this.urls, tls: this.tls, http: this.http, auth: this.auth, api: this.api } = milestoneClients(cfg, log));
    this.driverCache = new DriverSettingsCache(cfg.driver_settings_ttl);
    this.rs = new RsTypeRegistry(this.api, cfg, log);
    this.queue = new OrderedStatusQueue({
      max: MAX_QUEUED_PUBLISHES,
      counters: this.counters,
      log,
      dropped: (reason, n) => this.hooks?.statusDropped(reason, n),
      failed: (e) => (this.lastError = describeError(e)),
    });
    this.known = new LiveStates(cfg, this.rs, this.queue, this.counters);
    this.probes = new RecordingServerProbes({
      api: this.api,
      cfg,
      log,
      eventTypesUsable: () => !this.stream.refusedGroups().has('recordingServers') && (this.rs.types.responding.length > 0 || this.rs.types.notResponding.length > 0),
      enqueue: (task) => this.queue.push(task),
    });
    this.stream = new EventStream({
      ...this.socketOptions(),
      resumeWindowMs: cfg.resume_window,
      reconnect: retryPolicy('eventStreamReconnect', { baseMs: cfg.reconnect_base, capMs: cfg.reconnect_cap }),
      onEvents: (events) => this.hooks && this.known.publishEvents(events, this.hooks.raw),
      onBaseline: (rows, reason) => this.onBaseline(rows, reason),
      onGap: (reason) => this.hooks?.requestReconcile(reason),
      onLink: (link) => (this.known.fresh = link === 'resumed'),
    });
  }

  private socketOptions() {
    const cfg = this.cfg;
    return {
      wsUrl: this.urls.ws,
      tls: this.tls,
      auth: this.auth,
      log: this.log,
      subscriptions: () => this.rs.subscriptions(),
      commandTimeoutMs: cfg.command_timeout,
      getStateTimeoutMs: () => this.getStateTimeout(),
      maxPayloadBytes: cfg.ws_max_payload,
      pingIntervalMs: cfg.ws_ping_interval,
      handshakeTimeoutMs: Math.min(cfg.request_timeout, 30_000),
    };
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
    if (await this.stream.waitSubscribed(START_WAIT_MS)) while (!this.known.fresh && !this.stopped && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.probes.stop();
    await this.stream.stop();
    await this.queue.drained(5_000);
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
        recording_server_event_types: this.rs.types,
        recording_server_probe: this.probes.needed() ? 'active' : 'off',
        probes: this.probes.summary(),
        known_states: this.known.states.size,
        state_fresh: this.known.fresh,
        publish_queue: this.queue.size,
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
    const emit = async (d: InventoryDevice) => {
      const key = sourceKey(d.resourceType, itemId(d.item as { id?: string }));
      if (configDisabled(d)) disabled.add(key);
      if (this.live.unsupported && d.resourceType !== 'recordingServers') unavailable.push(key);
      this.known.fallback.note(d.resourceType, key, d.hardware ? itemId(d.hardware) : null, this.stream.refusedGroups());
      const rs = d.resourceType === 'recordingServers' ? RecordingServer.safeParse(d.item) : null;
      if (rs?.success) rsList.push(rs.data);
      await writer.device(this.compose(d, key));
    };
    try {
      const cfg = this.cfg;
      const o = { pageSize: cfg.page_size, driverSettingsConcurrency: cfg.driver_settings_concurrency, fetchDriverSettings: cfg.driver_settings, driverSettingsCache: this.driverCache, cameraGroups: cfg.camera_groups, childTypes: cfg.child_types, signal, log: this.log, failedTypes: writer };
      const stats = await streamInventory(this.api, o, emit);
      if (signal.aborted) return;
      this.known.inventoryComplete(disabled);
      this.probes.setServers(rsList);
      this.lastInventory = stats;
      this.lastError = null;
      if (unavailable.length) await this.live.publishUnavailable(this.requireHooks().raw, unavailable, cfg.state_chunk_rows, (i) => `unavailable:${randomUUID()}:${i}`);
    } catch (e) {
      this.lastError = describeError(e);
      throw e;
    }
  }

  /** The inventory item plus what the collector knows live: state row, probe, RS event types. */
  private compose(d: InventoryDevice, key: string): MilestoneDevicePayloadInput {
    const id = key.slice(key.indexOf('/') + 1);
    const hwId = d.hardware ? itemId(d.hardware) : null;
    const k = this.known;
    return {
      ...d,
      state: k.fresh ? (k.states.get(key) ?? k.fallback.stateOf(d.resourceType, key, hwId, this.stream.refusedGroups(), k.states)) : null,
      probe: d.resourceType === 'recordingServers' ? (this.probes.results.get(id) ?? null) : null,
      recordingServerTypes: this.rs.meaning,
    };
  }

  // ---------------------------------------------------------------- status

  async pollStatus(raw: RawPublisher, signal: AbortSignal, reason: string): Promise<{ devices: number }> {
    // Below 2023 R3 only the recording-server probe has anything to poll.
    if (this.live.unsupported) return { devices: this.probes.needed() && !signal.aborted ? await this.probes.probeAll(raw, true).catch(() => 0) : 0 };
    let published = 0;
    let failure: unknown = null;
    try {
      const rows = this.stream.subscribed ? await this.stream.getState() : await oneShotState(this.socketOptions());
      if (!signal.aborted) published += await this.known.publishRows(await this.known.absorb(rows), `poll: ${reason}`, raw);
      if (!signal.aborted) published += await this.known.publishRows(this.known.fallback.rows(this.known.states), `poll: ${reason} (hardware state of refused groups)`, raw);
    } catch (e) {
      failure = e;
    }
    if (this.rs.types.source === 'none') await this.discoverRsTypes();
    if (this.probes.needed() && !signal.aborted) published += await this.probes.probeAll(raw, true).catch(() => 0);
    if (failure) throw failure;
    return { devices: published };
  }

  /**
   * A new session's baseline: the cache is current at once; the publish waits for the first
   * inventory. It publishes the rows as kept, so the parsed rows are not held while it waits
   * (50 000 of them during a 50 000-device site's first inventory).
   */
  private onBaseline(rows: EssEvent[], reason: string): Promise<void> {
    return this.known.absorb(rows).then((kept) => this.publishBaseline(kept, reason));
  }

  private async publishBaseline(kept: EssEvent[], reason: string): Promise<void> {
    this.known.fresh = true;
    await this.known.untilInventoryKnown();
    await this.known.publishRows([...kept, ...this.known.fallback.rows(this.known.states)], reason, this.requireHooks().raw);
  }

  /** getState timeout: the configured one, or more on a large site (it answers after minutes). */
  private getStateTimeout(): number {
    return Math.max(this.cfg.get_state_timeout, (this.lastInventory?.devices.cameras ?? 0) * this.cfg.get_state_timeout_per_camera);
  }

  private requireHooks(): CollectorHooks {
    if (!this.hooks) throw new Error('collector not started');
    return this.hooks;
  }

  private async discoverRsTypes(): Promise<void> {
    const authError = await this.rs.discover();
    if (authError) this.lastError = authError;
  }
}

/** Validates a system's config and builds its collector (the service's `create`). */
export function createMilestoneCollector(system: SystemConfig, log: Logger): MilestoneCollector {
  return new MilestoneCollector(parseMilestoneConfig(system), log.child({ vendor: 'milestone', system_id: system.id }));
}
