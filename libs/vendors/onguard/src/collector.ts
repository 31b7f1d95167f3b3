import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { getCi } from '@edge/contracts';
import { Counters, describeError, registerSecret, type SystemConfig } from '@edge/platform';
import type { CollectorHooks, CollectorState, RawPublisher, SyncWriter, VendorCollector } from '@edge/collector-kit';
import { parseOnGuardSystem, type OnGuardSystemConfig } from './config';
import { OpenAccessClient } from './client/openaccess-client';
import { HardwareStatusReader } from './hardware-status';
import { StatusMemory } from './status-memory';
import { GapRecovery } from './gap-recovery';
import { EventBridge } from './event-bridge/event-bridge';
import { SubscriptionKeeper } from './event-bridge/subscription-keeper';
import { compileEventRules, readHardwareEvent, type CompiledEventRules } from './event-bridge/hardware-event';
import { locateEvent } from './event-bridge/event-routing';
import { flag } from './mapper/onguard-mapper';
import type { DeviceIndex, Target } from './device-index';
import { InventoryWalker } from './inventory-walk';
import { mergeTarget, readAndPublish, targetsOf, withPanels, type StatusRead } from './status-publish';
import { BridgeEvents } from './bridge-events';
import type { OnGuardRawDeviceInput } from './raw-schema';

/**
 * One OnGuard system on the collector kit: inventory (InventoryWalker: types discovered,
 * instances paged, each device composed with its panel/recorder, segment and hardware status),
 * status polls (UpdateHardwareStatus + GetHardwareStatus, status-publish.ts), and the Web Event
 * Bridge (the kit's event-stream lifecycle; events decoded and confirmed in BridgeEvents). Every
 * bridge (re)subscription asks the runner to reconcile; a failed status publish is the kit's to repair.
 */
export class OnGuardCollector implements VendorCollector {
  readonly vendor = 'onguard';
  readonly systemId: string;
  readonly counters = new Counters();
  readonly client: OpenAccessClient;
  private readonly statusReader: HardwareStatusReader;
  private readonly bridge: EventBridge | null;
  private readonly rules: CompiledEventRules;
  private readonly memory: StatusMemory;
  private readonly gap: GapRecovery;
  private readonly walker: InventoryWalker;
  private readonly events: BridgeEvents;
  private hooks: CollectorHooks | null = null;
  private index: DeviceIndex | null = null;
  private walking: Promise<DeviceIndex> | null = null;
  private lastError: string | null = null;

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
    const st = cfg.status;
    this.statusReader = new HardwareStatusReader(this.client, { concurrency: st.concurrency, maxPerSecond: st.max_per_second, updatePanels: st.update_panels, updateSettleMs: st.update_settle }, log.child({ component: 'hardware-status' }));
    this.rules = compileEventRules(cfg.events);
    this.memory = new StatusMemory(st.full_sweep_interval);
    const syncStatus = { reader: this.statusReader, memory: this.memory, panelReadsFreshForMs: cfg.status_interval };
    this.walker = new InventoryWalker(this.client, cfg, this.statusReader, this.memory, syncStatus, log);
    this.gap = new GapRecovery(this.client, log.child({ component: 'gap-recovery' }));
    this.events = new BridgeEvents({
      cfg: cfg.events, rules: this.rules, reader: this.statusReader, memory: this.memory, gap: this.gap, counters: this.counters, log,
      index: () => this.index,
      hooks: () => this.hooks,
    });
    this.bridge = cfg.events.enabled ? this.createBridge() : null;
  }

  private createBridge(): EventBridge {
    const { cfg, log } = this;
    return new EventBridge({
      client: this.client,
      url: `${this.client.apiBase}/${cfg.events.bridge_path.replace(/^\/+/, '')}`,
      cfg: cfg.events,
      tls: { ca: cfg.tls.ca_file ? readFileSync(cfg.tls.ca_file) : undefined, insecure: cfg.tls.insecure, servername: cfg.tls.servername, fingerprint256: cfg.tls.fingerprint_sha256 },
      log: log.child({ component: 'event-bridge' }),
      onEvent: (ev) => this.events.onEvent(ev),
      onConnected: (reason) => this.hooks?.requestReconcile(reason),
      onSubscribing: () => this.gap.gapStarts(),
      onSubscribed: () => (cfg.events.gap_recovery === 'logged_events' ? this.gap.mark() : Promise.resolve()),
    });
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
    const ev = this.cfg.events;
    this.bridge?.start(new SubscriptionKeeper(this.client, hooks.state, { description: ev.description, filter: ev.filter, site: hooks.raw.ident.site_id, system: this.systemId }, this.log.child({ component: 'event-subscription' })));
  }

  async stop(): Promise<void> {
    this.events.stop();
    await this.bridge?.stop();
    await this.events.drained();
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
        events: this.events.watch.snapshot(),
        status_reads: this.memory.state(),
        gap_recovery: this.gap.state(),
        counters: { ...this.client.counters.snapshot(), ...prefix('bridge_', this.bridge?.counters.snapshot() ?? {}), ...this.counters.snapshot() },
      },
    };
  }

  // ------------------------------------------------------------------ inventory

  async runInventory(writer: SyncWriter, signal: AbortSignal): Promise<void> {
    // Stamped with the time its status was read: a status event that came in since is newer.
    const emit = (d: OnGuardRawDeviceInput) => writer.device(d, d.hardware_status?.read_at ?? undefined);
    const walk = this.walker.walk({ emit, readStatus: this.cfg.inventory.status, sink: writer }, signal, this.index);
    this.walking = walk;
    try {
      this.index = await walk;
      this.lastError = null;
      this.events.replayUnplaced();
    } catch (e) {
      this.lastError = describeError(e);
      throw e;
    } finally {
      if (this.walking === walk) this.walking = null;
    }
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
    const idx = await this.walker.walk({ emit: null, readStatus: false }, signal, this.index);
    if (!this.index) {
      this.index = idx;
      this.events.replayUnplaced();
    }
    return idx;
  }

  // ------------------------------------------------------------------ status

  async pollStatus(raw: RawPublisher, signal: AbortSignal, reason: string): Promise<{ devices: number }> {
    const idx = await this.currentIndex(signal);
    const pollId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const read = (dedupePrefix: string): StatusRead => ({ via: 'poll', reason, idx, signal, dedupePrefix });
    if (reason.startsWith('reconcile') && this.cfg.events.gap_recovery === 'logged_events') {
      const targets = await this.gapTargets(idx, signal);
      if (targets !== null) {
        const n = targets.length ? await readAndPublish(this.statusReader, this.memory, raw, withPanels(targets), read(`gap:${pollId}`)) : 0;
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
    const n = await readAndPublish(this.statusReader, this.memory, raw, targetsOf(idx, sweep), read(`poll:${pollId}`));
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
}

function prefix(p: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${p}${k}`, v]));
}

/** Factory used by the collector service: validates the vendor extras, then builds the collector. */
export function createOnGuardCollector(system: SystemConfig, log: Logger): OnGuardCollector {
  return new OnGuardCollector(parseOnGuardSystem(system), log.child({ vendor: 'onguard', system_id: system.id }));
}

