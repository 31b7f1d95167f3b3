import type { Logger } from 'pino';
import type { FailedType } from '@edge/contracts';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { describeError, errorKind, sleep, tracer, Counters, type StateStore, type SystemConfig } from '@edge/platform';
import type { CollectorState, VendorCollector } from './collector';
import { RawPublisher, type SyncTrigger } from './raw-publisher';
import { StatusRepair } from './status-repair';

export interface SyncReport {
  sync_id: string;
  trigger: SyncTrigger;
  started_at: string;
  finished_at: string | null;
  devices: number;
  complete: boolean | null;
  duration_ms: number | null;
  error: string | null;
  /** Types this sync could not list (partial sync), with the reason; empty when every type was read. */
  failed_types: FailedType[];
}

export interface PollReport {
  at: string;
  reason: string;
  devices: number;
  error: string | null;
}

export interface RunnerOptions {
  inventoryIntervalMs: number;
  statusIntervalMs: number;
  /** Spread first runs so many systems don't hit their servers at once (0..jitter ms). */
  startJitterMs?: number;
  /** Coalesce reconcile requests arriving within this window. */
  reconcileDebounceMs?: number;
  /** Skip the initial inventory (tests). */
  syncOnStart?: boolean;
  /** Durable per-system state handed to the collector (event subscription ids and the like). */
  state?: StateStore;
}

/**
 * Runs one VendorCollector: inventory on start, on schedule and on command (single flight),
 * status safety-net polls (spread), reconcile after event-stream gaps, and status reporting.
 */
export class CollectorRunner {
  readonly counters = new Counters();
  private readonly abort = new AbortController();
  private running: Promise<SyncReport> | null = null;
  private polling: Promise<void> | null = null;
  private lastSync: SyncReport | null = null;
  private lastCompleteSync: SyncReport | null = null;
  private lastPoll: PollReport | null = null;
  private timers: NodeJS.Timeout[] = [];
  private reconcileTimer: NodeJS.Timeout | null = null;
  private lastError: string | null = null;
  readonly raw: RawPublisher;

  constructor(
    readonly collector: VendorCollector,
    raw: RawPublisher,
    private readonly log: Logger,
    private readonly o: RunnerOptions,
  ) {
    this.raw = raw;
    this.repair = new StatusRepair(
      async (reason) => {
        await this.poll(reason);
        return this.lastPoll?.error === null;
      },
      this.counters,
      log,
    );
    raw.onStatusPublishFailed = (e) => this.repair.publishFailed(e);
  }

  /** The one owner of repair polls after a status publish failed or a status was dropped. */
  readonly repair: StatusRepair;

  get systemId(): string {
    return this.collector.systemId;
  }

  async start(): Promise<void> {
    const jitter = Math.floor(Math.random() * (this.o.startJitterMs ?? 0));
    await this.collector.start({
      raw: this.raw,
      state: this.o.state ?? null,
      requestReconcile: (reason) => this.requestReconcile(reason),
      statusDropped: (reason, count) => this.repair.dropped(reason, count),
    });
    if (this.o.syncOnStart !== false) {
      const t = setTimeout(() => void this.sync('startup').catch(() => undefined), jitter);
      this.timers.push(t);
    }
    this.schedule(() => void this.sync('schedule').catch(() => undefined), this.o.inventoryIntervalMs, jitter);
    // Status polls are offset by half a period from syncs: they load the vendor server too.
    this.schedule(() => void this.poll('schedule'), this.o.statusIntervalMs, jitter + Math.floor(this.o.statusIntervalMs / 2));
  }

  private schedule(fn: () => void, every: number, offset: number): void {
    if (!every || every <= 0) return;
    const first = setTimeout(() => {
      fn();
      const t = setInterval(fn, every);
      t.unref();
      this.timers.push(t);
    }, offset + every);
    first.unref();
    this.timers.push(first);
  }

  /** Debounced status poll after an event-stream (re)connect: events during the gap are gone. */
  requestReconcile(reason: string): void {
    this.counters.inc('reconcile_requested');
    if (this.reconcileTimer) return;
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = null;
      void this.poll(`reconcile: ${reason}`);
    }, this.o.reconcileDebounceMs ?? 250);
  }

  /** Single flight: a sync requested while one runs returns the running one. */
  sync(trigger: SyncTrigger): Promise<SyncReport> {
    if (this.running) return this.running;
    this.running = this.tracedSync(trigger).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * One trace per inventory sync: the vendor calls (HTTP client spans) and every raw publish
   * (whose trace context travels on in the NATS headers) are children of this span.
   */
  private tracedSync(trigger: SyncTrigger): Promise<SyncReport> {
    const span = tracer('edge').startSpan(`inventory sync ${this.collector.vendor}`, {
      attributes: { 'edge.vendor': this.collector.vendor, 'edge.system.id': this.systemId, 'edge.sync.trigger': trigger },
    });
    return context
      .with(trace.setSpan(context.active(), span), () => this.doSync(trigger))
      .then(
        (r) => {
          span.setAttributes({ 'edge.sync.id': r.sync_id, 'edge.sync.devices': r.devices, 'edge.sync.complete': r.complete === true });
          return r;
        },
        (e: unknown) => {
          span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(e) });
          throw e;
        },
      )
      .finally(() => span.end());
  }

  get syncing(): boolean {
    return this.running !== null;
  }

  private async doSync(trigger: SyncTrigger): Promise<SyncReport> {
    const started = Date.now();
    const writer = await this.raw.beginSync(trigger);
    const report: SyncReport = {
      sync_id: writer.syncId,
      trigger,
      started_at: new Date(started).toISOString(),
      finished_at: null,
      devices: 0,
      complete: null,
      duration_ms: null,
      error: null,
      failed_types: [],
    };
    this.lastSync = report;
    this.log.info({ system_id: this.systemId, sync_id: writer.syncId, trigger }, 'inventory sync started');
    this.counters.inc('syncs_started');
    try {
      await this.collector.runInventory(writer, this.abort.signal);
      const r = await writer.end({ complete: !this.abort.signal.aborted });
      report.devices = r.count;
      report.complete = r.complete;
      this.counters.inc('syncs_completed');
      this.counters.inc('devices_published', r.count);
    } catch (e) {
      report.error = describeError(e);
      report.complete = false;
      report.devices = writer.count;
      this.lastError = report.error;
      this.counters.inc('syncs_failed');
      this.log.warn({ system_id: this.systemId, sync_id: writer.syncId, err: report.error, kind: errorKind(e) }, 'inventory sync failed');
      // Mark the sync interrupted so the normalizer removes nothing for it.
      await writer.end({ complete: false, error: report.error }).catch(() => undefined);
    }
    report.failed_types = writer.failedTypes;
    for (const f of report.failed_types) this.log.warn({ system_id: this.systemId, sync_id: writer.syncId, type: f.type, reason: f.reason }, 'inventory sync is partial: a type could not be listed; its devices are kept as they were');
    report.finished_at = new Date().toISOString();
    report.duration_ms = Date.now() - started;
    if (report.complete) this.lastCompleteSync = report;
    this.log.info({ system_id: this.systemId, sync_id: report.sync_id, devices: report.devices, complete: report.complete, duration_ms: report.duration_ms }, 'inventory sync finished');
    if (report.error) throw Object.assign(new Error(report.error), { report });
    return report;
  }

  /** Status poll (single flight). Failures are recorded, not thrown. */
  poll(reason: string): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = (async () => {
      this.counters.inc('polls_started');
      try {
        const r = await this.collector.pollStatus(this.raw, this.abort.signal, reason);
        this.lastPoll = { at: new Date().toISOString(), reason, devices: r.devices, error: null };
        this.counters.inc('status_polled', r.devices);
      } catch (e) {
        this.lastError = describeError(e);
        this.lastPoll = { at: new Date().toISOString(), reason, devices: 0, error: this.lastError };
        this.counters.inc('polls_failed');
        this.log.warn({ system_id: this.systemId, err: this.lastError, reason }, 'status poll failed');
      }
    })().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.repair.stop();
    await Promise.race([Promise.allSettled([this.running, this.polling]), sleep(10_000)]);
    await this.collector.stop().catch((e) => this.log.warn({ err: describeError(e) }, 'collector stop failed'));
  }

  status(): {
    system_id: string;
    vendor: string;
    state: CollectorState;
    syncing: boolean;
    last_sync: SyncReport | null;
    last_complete_sync: SyncReport | null;
    last_poll: PollReport | null;
    last_error: string | null;
    counters: Record<string, number>;
  } {
    const state = this.collector.state();
    return {
      system_id: this.systemId,
      vendor: this.collector.vendor,
      state,
      syncing: this.syncing,
      last_sync: this.lastSync,
      last_complete_sync: this.lastCompleteSync,
      last_poll: this.lastPoll,
      last_error: state.last_error ?? this.lastError,
      counters: this.counters.snapshot(),
    };
  }
}

/** Runner options from a system's config. */
export function runnerOptionsFor(system: SystemConfig): RunnerOptions {
  return {
    inventoryIntervalMs: system.inventory_interval,
    statusIntervalMs: system.status_interval,
    startJitterMs: 2_000,
  };
}
