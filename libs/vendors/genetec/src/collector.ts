import type { Logger } from 'pino';
import { describeError, retryPolicy, type SystemConfig } from '@edge/platform';
import { EventStreamLifecycle, type CollectorHooks, type CollectorState, type RawPublisher, type SyncWriter, type VendorCollector } from '@edge/collector-kit';
import { tlsAgentOptions } from './client/tls';
import { normalizeGuid, webSdkBase } from './client/urls';
import { WebSdkClient } from './client/web-sdk-client';
import { parseGenetecConfig, type GenetecConfig } from './config';
import { VENDOR } from './constants';
import { EventPublisher } from './event-publisher';
import { GenetecEventSource } from './events/event-stream';
import { subscriptionQuery } from './events/subscriptions';
import { walkInventory, type InventoryStats } from './inventory';
import { LastKnownEntities } from './last-known';
import { Projector } from './projection';
import type { GenetecDevicePayload } from './raw-schema';
import { pollStates } from './status';

/**
 * The Security Center collector of one system: inventory through the EntityConfiguration report
 * and projections, live state through the `/events` stream of connection events, status polls
 * as the reconcile and safety-net path. The kit owns the event-stream lifecycle, the last-known
 * state cache and per-type isolation; the vendor parts are their own modules (client, inventory,
 * status, event source, event publisher); this class only wires them.
 */
export class GenetecCollector implements VendorCollector {
  readonly vendor = VENDOR;
  readonly systemId: string;
  readonly client: WebSdkClient;
  readonly source: GenetecEventSource | null;
  readonly stream: EventStreamLifecycle | null;
  readonly lastKnown = new LastKnownEntities();
  readonly events: EventPublisher;
  private readonly projector: Projector;
  private readonly refusedExtras = new Set<string>();
  private hooks: CollectorHooks | null = null;
  /** GUID → entity type, from the last inventory (types that failed keep their previous entries). */
  private known: Map<string, string> | null = null;
  private lastInventory: InventoryStats | null = null;
  private lastError: string | null = null;
  /** An inventory has started: before it, a gap needs no reconcile (the startup inventory reads every state). */
  private inventoryStarted = false;

  constructor(
    readonly cfg: GenetecConfig,
    private readonly log: Logger,
  ) {
    this.systemId = cfg.id;
    this.client = new WebSdkClient({
      base: webSdkBase(cfg.base_url, cfg.web_sdk_path),
      username: cfg.username,
      applicationId: cfg.application_id,
      password: cfg.password,
      tls: tlsAgentOptions(cfg.tls),
      timeoutMs: cfg.request_timeout,
      retryForMs: cfg.retry_for,
      refusedRetryAfterMs: cfg.refused_retry_after,
      log,
    });
    this.projector = new Projector(this.client, { batch: cfg.projection_batch, concurrency: cfg.concurrency, log });
    this.events = new EventPublisher({
      eventTypes: cfg.event_types,
      lastKnown: this.lastKnown,
      entityTypeOf: (guid) => this.known?.get(guid) ?? null,
      raw: () => this.hooks?.raw ?? null,
      requestReconcile: (reason) => this.hooks?.requestReconcile(reason),
      log,
    });
    this.source = cfg.events ? new GenetecEventSource({ client: this.client, query: subscriptionQuery(cfg.event_types), gapMs: cfg.reconcile_after_gap, log, onEvents: (evs) => this.events.accept(evs) }) : null;
    this.stream = this.source
      ? new EventStreamLifecycle({
          name: 'Web SDK event stream',
          source: this.source,
          reconnect: retryPolicy('eventStreamReconnect', { baseMs: cfg.reconnect_base, capMs: cfg.reconnect_cap }),
          silenceMs: cfg.stream_silence,
          reconcileAfterGapMs: cfg.reconcile_after_gap,
          requestReconcile: (reason) => this.reconcileAfterGap(reason),
          log,
        })
      : null;
    // A new session has no subscriptions: a stream being held resubscribes (one being opened already runs on it).
    this.client.onNewSession = () => {
      if (this.stream?.subscribed) this.stream.restart('Web SDK session renewed');
    };
  }

  async start(hooks: CollectorHooks): Promise<void> {
    this.hooks = hooks;
    if (this.cfg.tls.insecure) this.log.warn({ base: this.client.base }, 'TLS certificate verification is OFF for this Security Center system (tls.insecure: true)');
    this.client.startKeepalive(this.cfg.session_keepalive);
    this.stream?.start();
  }

  async stop(): Promise<void> {
    await this.stream?.stop();
    await this.events.drain(5_000);
    this.client.close();
  }

  async runInventory(writer: SyncWriter, signal: AbortSignal): Promise<void> {
    this.inventoryStarted = true;
    const known = new Map<string, string>();
    try {
      const stats = await walkInventory(
        this.client,
        this.projector,
        { entityTypes: this.cfg.entity_types, extraFields: this.cfg.extra_fields, pageSize: this.cfg.page_size, signal, log: this.log, sink: writer },
        this.refusedExtras,
        async (entity, parent) => {
          const readAt = new Date().toISOString();
          const guid = normalizeGuid(entity.Guid) ?? entity.Guid;
          known.set(guid, entity.EntityType);
          this.lastKnown.noteRead(entity, readAt);
          await writer.device({ entity, parent } satisfies GenetecDevicePayload, readAt);
        },
      );
      if (signal.aborted) return;
      const failed = new Set(stats.failed.map((f) => f.type));
      for (const [g, t] of this.known ?? []) if (failed.has(t) && !known.has(g)) known.set(g, t);
      this.known = known;
      this.lastInventory = stats;
      this.lastError = stats.failed.length ? `partial: ${stats.failed.map((f) => f.type).join(', ')}` : null;
    } catch (e) {
      this.lastError = describeError(e);
      throw e;
    }
  }

  async pollStatus(raw: RawPublisher, signal: AbortSignal, reason: string): Promise<{ devices: number }> {
    try {
      const devices = await pollStates(
        this.client,
        this.projector,
        raw,
        this.known,
        { entityTypes: this.cfg.entity_types, pageSize: this.cfg.page_size, chunkRows: this.cfg.state_chunk_rows, signal },
        reason,
        (row, readAt) => {
          this.lastKnown.noteRead(row, readAt);
          return true;
        },
      );
      return { devices };
    } catch (e) {
      this.lastError = describeError(e);
      throw e;
    }
  }

  private reconcileAfterGap(reason: string): void {
    if (this.inventoryStarted) this.hooks?.requestReconcile(reason);
  }

  state(): CollectorState {
    const refused = this.client.refused;
    const stream = this.stream?.snapshot() ?? null;
    return {
      connection: this.connection(),
      events: stream?.state ?? 'disabled',
      last_error: refused ? `${refused.code}: ${refused.message}` : (stream?.last_error ?? this.lastError),
      notices: this.refusedExtras.size ? [`the Web SDK refused extra fields for ${[...this.refusedExtras].join(', ')}: no IP/MAC for them`] : [],
      details: {
        web_sdk: this.client.base,
        known_entities: this.known?.size ?? 0,
        last_inventory: this.lastInventory,
        stream: this.stream ? { ...this.stream.counters.snapshot(), ...this.source?.counters.snapshot() } : null,
        client: this.client.counters.snapshot(),
        events: this.events.counters.snapshot(),
        publish_queue: this.events.pending,
        invalid_rows: this.projector.invalidRows,
      },
    };
  }

  /** The connection as `/status` shows it: the event stream's when there is one, else as requests see it. */
  private connection(): CollectorState['connection'] {
    const c = this.client;
    if (c.refused || this.stream?.failureKind === 'auth') return 'auth_failed';
    if (!this.stream) return c.lastOkAt > 0 && c.lastOkAt >= c.lastFailAt ? 'connected' : c.lastFailAt > 0 ? 'disconnected' : 'connecting';
    const s = this.stream.state;
    return s === 'subscribed' ? 'connected' : s === 'stopped' ? 'disconnected' : 'connecting';
  }
}

/** Validates a system's config and builds its collector (the service's `create`). */
export function createGenetecCollector(system: SystemConfig, log: Logger): GenetecCollector {
  return new GenetecCollector(parseGenetecConfig(system), log.child({ vendor: VENDOR, system_id: system.id }));
}
