import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMERS, STREAMS, subjects } from '@edge/contracts';
import { consumerBacklog, Counters, describeError, EDGE_RUNTIME, type ConsumerBacklog, type Delivery, type EdgeRuntime } from '@edge/platform';
import { Batcher } from './batch';
import { Circuit, type CircuitState } from './circuit';
import { CloudClient } from './cloud-client';
import { CloudSender, type LaneState } from './cloud-sender';
import { Heartbeat } from './heartbeat';
import { laneOf, toItem } from './items';

/** The JetStream subjects the forwarder consumes (its @EventPattern and consumer binding). */
export const FORWARDER_PATTERN = subjects.canonicalAll;

/**
 * Health events go out on this many lanes, chosen by device: one device's events always share
 * a lane, and a lane sends one batch at a time, so per-device order holds end to end while
 * several batches are in flight. Inventory has one lane: a sync's batches go in order, final last.
 */
export const HEALTH_LANES = 4;

/** Longest wait between probes while the cloud is down (the configured cap applies when it is lower). */
export const PROBE_CAP_MS = 15_000;

/** Why the consumer is paused while the circuit is not closed. */
const PAUSE_REASON = 'cloud_unavailable';

/** Consecutive failed requests before the circuit opens and pulling stops. */
export const CIRCUIT_THRESHOLD = 3;

/** Messages held in flight: enough to fill every lane's next batch while one is being sent. */
export function forwarderConcurrency(maxItems: number): number {
  return Math.min(9_000, Math.max(256, maxItems * (HEALTH_LANES + 1) + 256));
}

interface Lane {
  state: LaneState;
  batcher: Batcher;
  done: Promise<void>;
}

/**
 * The forwarder: canonical messages → batches → POSTs to the integrator cloud. A message's
 * handler resolves only when the cloud took the item (then the consume loop acks it) or
 * rejects with a permanent error when the cloud refused the item (then it is dead-lettered).
 * Retryable failures never reach the consume loop: a nak would reorder a device's events and
 * spend redeliveries. Instead the circuit opens and the consumer is paused.
 */
@Injectable()
export class Forwarder implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly counters = new Counters();
  private readonly abort = new AbortController();
  private readonly client: CloudClient;
  readonly circuit: Circuit;
  private readonly sender: CloudSender;
  private readonly health: Lane[] = [];
  private readonly inventory: Lane;
  private readonly heartbeat: Heartbeat;
  private authLoggedAt = 0;

  constructor(@Inject(EDGE_RUNTIME) private readonly rt: EdgeRuntime) {
    const cloud = rt.config.cloud;
    this.client = new CloudClient(cloud, rt.log, `edge-forwarder/${rt.version}`);
    this.circuit = new Circuit(CIRCUIT_THRESHOLD, {
      onOpen: (state, reason) => this.onOpen(state, reason),
      onClose: (downMs) => this.onClose(downMs),
    });
    this.sender = new CloudSender(
      this.client,
      this.circuit,
      {
        retry: { baseMs: cloud.retry.base, capMs: cloud.retry.cap, floorMs: Math.min(100, cloud.retry.base) },
        probeCapMs: PROBE_CAP_MS,
        // Bad credentials: probe at the capped delay, never faster; a locked account helps no one.
        slowRetryMs: Math.max(cloud.retry.cap, cloud.retry.base),
      },
      rt.log,
      this.abort.signal,
    );
    const limits = { maxItems: cloud.batch.max_items, maxBytes: cloud.batch.max_bytes, lingerMs: cloud.batch.linger };
    for (let i = 0; i < HEALTH_LANES; i++) this.health.push(this.lane(`health-${i}`, new Batcher('health', limits)));
    this.inventory = this.lane('inventory', new Batcher('inventory', limits));
    this.heartbeat = new Heartbeat(rt, this.client, { backlog: () => this.backlog(), dlqMessages: async () => (await rt.dlq.size()).messages }, this.abort.signal);
  }

  private lane(name: string, batcher: Batcher): Lane {
    const state: LaneState = { name, sending: false, attempt: 0, backoff_ms: 0, next_attempt_at: null, last_error: null };
    const lane: Lane = { state, batcher, done: Promise.resolve() };
    lane.done = (async () => {
      for (;;) {
        const b = await batcher.next(this.abort.signal);
        if (!b) return;
        state.sending = true;
        try {
          await this.sender.send(b, state);
        } catch (e) {
          // A bug must not strand the lane; the batch's items stay unacked and come back after a restart.
          this.rt.log.error({ lane: name, err: describeError(e) }, 'lane failed to send a batch');
        } finally {
          state.sending = false;
        }
      }
    })();
    return lane;
  }

  onApplicationBootstrap(): void {
    const rt = this.rt;
    rt.status.contribute('forwarder', () => this.status());
    rt.status.readyCheck('cloud', () => {
      const s = this.circuit.status();
      return s.state === 'closed' ? true : `${s.state}${s.last_failure ? `: ${s.last_failure.reason}` : ''}`;
    });
    this.heartbeat.start();
    rt.log.info(
      { base_url: rt.config.cloud.base_url, batch: rt.config.cloud.batch, retry: rt.config.cloud.retry, lanes: HEALTH_LANES + 1 },
      'forwarding canonical messages to the cloud',
    );
  }

  /** Handler of one canonical message: resolves when the cloud has it. */
  accept(d: Delivery): Promise<void> {
    const item = toItem(d);
    this.counters.inc(`received_${item.kind}`);
    const lane = item.kind === 'event' ? this.health[laneOf(item.deviceId!, HEALTH_LANES)] : this.inventory;
    lane.batcher.add(item);
    return item.done;
  }

  private onOpen(state: CircuitState, reason: string): void {
    this.rt.consumer?.(FORWARDER_PATTERN)?.pause(PAUSE_REASON);
    this.counters.inc(`circuit_${state}`);
    if (state === 'auth_failed') {
      this.authLoggedAt = Date.now();
      this.rt.log.error({ reason, base_url: this.rt.config.cloud.base_url }, 'CLOUD REFUSED THE CREDENTIALS: delivery paused, nothing is dead-lettered; fix cloud.token');
    } else if (state === 'endpoint_error') {
      this.rt.log.error({ reason, base_url: this.rt.config.cloud.base_url }, 'cloud endpoint looks wrong (check cloud.base_url / proxy): delivery paused, nothing is dead-lettered');
    } else {
      this.rt.log.warn({ reason }, 'cloud unavailable: circuit open, stopped pulling from JetStream; probing');
    }
  }

  private onClose(downMs: number): void {
    this.rt.consumer?.(FORWARDER_PATTERN)?.resume(PAUSE_REASON);
    this.rt.log.info({ down_ms: downMs }, 'cloud reachable again: circuit closed, delivery resumed');
  }

  private async backlog(): Promise<ConsumerBacklog | null> {
    try {
      return await consumerBacklog(this.rt.nc, STREAMS.canonical, CONSUMERS.forwarder);
    } catch {
      return null;
    }
  }

  async status() {
    const lanes = [...this.health, this.inventory];
    const c = this.circuit.status();
    if (c.state === 'auth_failed' && Date.now() - this.authLoggedAt > 10 * 60_000) {
      // Keep it loud while it lasts.
      this.authLoggedAt = Date.now();
      this.rt.log.error({ since: c.since }, 'cloud still refuses the credentials: delivery paused');
    }
    const [backlog, dlq] = await Promise.all([this.backlog(), this.rt.dlq.size().catch(() => null)]);
    const d = this.sender.counters;
    return {
      alert:
        c.state === 'auth_failed'
          ? 'cloud refuses the credentials (401/403): delivery paused; fix cloud.token'
          : c.state === 'endpoint_error'
            ? 'cloud endpoint looks wrong: delivery paused; check cloud.base_url'
            : null,
      delivered: {
        events: d.get('delivered_events'),
        devices: d.get('delivered_devices'),
        removed: d.get('delivered_removed'),
        syncs_completed: d.get('syncs_completed'),
        batches: d.get('batches_delivered'),
        cloud_duplicates: d.get('cloud_duplicates'),
      },
      retries: d.get('retries'),
      retry_after_honoured: d.get('retry_after_honoured'),
      splits: d.get('splits'),
      dead_lettered: d.get('dead_lettered'),
      current_backoff_ms: Math.max(0, ...lanes.map((l) => (l.state.next_attempt_at ? Math.max(0, Date.parse(l.state.next_attempt_at) - Date.now()) : 0))),
      circuit: c,
      consumer_paused: this.rt.consumer?.(FORWARDER_PATTERN)?.isPaused ?? null,
      backlog,
      waiting_in_batches: lanes.reduce((n, l) => n + l.batcher.depth, 0),
      dlq,
      lanes: lanes.map((l) => ({ ...l.state, waiting: l.batcher.depth })),
      heartbeat: this.heartbeat.status(),
      last_delivered_at: this.sender.lastDeliveredAt,
      counters: { ...this.counters.snapshot(), ...d.snapshot() },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.abort.abort();
    this.heartbeat.stop();
    for (const l of [...this.health, this.inventory]) l.batcher.stop();
    await Promise.race([Promise.allSettled([...this.health, this.inventory].map((l) => l.done)), new Promise((r) => setTimeout(r, 5_000))]);
    this.client.close();
  }
}
