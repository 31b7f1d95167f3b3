import { z } from 'zod';
import {
  Device,
  HEADERS,
  mapContextOf,
  RawEnvelope,
  SyncEndPayload,
  subjects,
  type MapContext,
  type MapperRegistry,
  type DevicesCommandRequest,
  type RegistryDeviceView,
  StatusObservation,
  type VendorMapper,
} from '@edge/contracts';
import { backoffDelay, Counters, describeError, EdgeError, permanent, RETRY_POLICIES, retryable, sleep, type Delivery, type EdgeRuntime, type PublishResult } from '@edge/platform';
import { DeviceRegistry, emptyDecision, type Decision, type Owner } from './device-registry';
import { heldNotice } from './removal-guard';
import type { RegistryStore, RegistryWrite } from './registry-store';
import { documentKey } from './registry-entry';
import { HealthTimeline } from './health-timeline';
import { OrderedPublishQueue } from './publish-queue';

/** Validates what a mapper returns for a status payload (mappers are code, but code has bugs). */
const StatusObservations = z.array(StatusObservation);

const JSON_HEADERS = { [HEADERS.contentType]: 'application/json' } as const;
const decoder = new TextDecoder();
/** Registry size from which the status counts are cached for 2 s even between batches. */
const LARGE_REGISTRY = 10_000;

function issues(e: z.ZodError): string {
  return e.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Raw vendor messages → canonical inventory and health messages. The path of one message, in
 * `handle`, top to bottom:
 *  1. decide (synchronous, so decisions follow delivery order): validate the envelope, find the
 *     vendor's mapper (by `vendor`, never by branching on names), validate the payload with the
 *     mapper's schema, map, and let the registry decide — it updates its state and puts the
 *     decided messages in the changed records' outboxes;
 *  2. persist: the changed records (with their outboxes) join the registry journal in KV
 *     (write-ahead; one journal record per burst of decisions);
 *  3. publish the decided messages (pipelined, deterministic msg-ids, in decision order);
 *  4. confirm: the stream stored them, so they leave the outboxes (made durable with the next
 *     journal record or compaction: a crash before that publishes them again, deduplicated);
 *  5. return: the consume loop acks the input.
 * Bad input is a permanent error (dead-lettered with the reason); IO failures are retryable,
 * and trigger a reload of the registry from KV so no decision rests on state that never landed.
 */
export class Normalizer {
  readonly counters = new Counters();
  private inflight = 0;
  private recovering: Promise<void> | null = null;
  private loaded = false;
  private lastSeq = 0;
  /** Decided messages wait here for their journal record, then go out in decision order. */
  private readonly outgoing = new OrderedPublishQueue<Decision['emissions']>((emissions) => this.publish(emissions));
  private readonly siteSubjects = new Map<string, { inventory: string; health: string }>();
  /** Recent health events and offline counts over time (cmd.health, the status page). */
  readonly timeline = new HealthTimeline();
  private sampledAt = 0;
  private sampler: NodeJS.Timeout | null = null;
  private pendingSample: NodeJS.Timeout | null = null;
  private countsCache: { at: number; processed: number; size: ReturnType<DeviceRegistry['size']>; systems: ReturnType<DeviceRegistry['systemsStatus']> } | null = null;

  constructor(
    private readonly rt: EdgeRuntime,
    private readonly mappers: MapperRegistry,
    private readonly store: RegistryStore,
    readonly registry: DeviceRegistry = new DeviceRegistry((site) => this.subjectsFor(site), rt.config.removal_guard),
  ) {}

  async start(): Promise<void> {
    await this.reload();
    await this.flushOutboxes();
    this.store.start();
    this.loaded = true;
    this.timeline.sample(this.registry.statusCounts());
    this.sampler = setInterval(() => this.sampleTimeline(true), 60_000);
    this.sampler.unref();
    this.rt.status.contribute('normalizer', () => this.status());
    this.rt.status.route('POST /confirm-removals', async (body) => {
      const system = (body as { system?: unknown } | null)?.system;
      if (typeof system !== 'string' || !system) return { status: 400, body: { ok: false, error: 'expected {"system": "<system id>"}' } };
      const r = await this.confirmRemovals(system);
      return { status: r.ok ? 200 : 409, body: r };
    });
    this.rt.status.readyCheck('registry', () => (!this.loaded ? 'loading' : this.recovering ? 'reloading after a failed write' : true));
    this.rt.log.info({ registry: this.registry.size(), vendors: this.mappers.vendors() }, 'device registry loaded');
    if (this.mappers.vendors().length === 0) this.rt.log.warn('no vendor mappers registered: every raw message will be dead-lettered');
  }

  /** Graceful stop (after the consumer drained): leaves the device keys current. */
  async close(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    if (this.pendingSample) clearTimeout(this.pendingSample);
    await this.store.close();
  }

  private async reload(): Promise<void> {
    const t0 = Date.now();
    const r = await this.store.load();
    this.registry.load(r.entries, r.systems);
    this.counters.inc('registry_loads');
    this.rt.log.debug({ devices: r.entries.length, systems: r.systems.length, invalid: r.invalid, ms: Date.now() - t0 }, 'registry read from KV');
  }

  /**
   * Registry size and per-system counts: passes over every device, so while messages are in
   * flight at most every 2 s (status pages poll); a registry of LARGE_REGISTRY devices or more
   * also between two batches (the console asks every second: during a sync of 100 000 devices
   * those passes took 3.5 % of the normalizer's CPU). At rest current (a large registry within 2 s).
   */
  private registryCounts(): { size: ReturnType<DeviceRegistry['size']>; systems: ReturnType<DeviceRegistry['systemsStatus']> } {
    const now = Date.now();
    const processed = this.counters.get('processed');
    const c = this.countsCache;
    const fresh = c !== null && now - c.at < 2_000 && (this.inflight > 0 || c.processed === processed || c.size.devices >= LARGE_REGISTRY);
    if (!fresh) this.countsCache = { at: now, processed, size: this.registry.size(), systems: this.registry.systemsStatus() };
    return this.countsCache!;
  }

  status() {
    const c = this.counters.snapshot();
    const counts = this.registryCounts();
    const pick = (prefix: string) =>
      Object.fromEntries(
        Object.entries(c)
          .filter(([k]) => k.startsWith(prefix))
          .map(([k, v]) => [k.slice(prefix.length), v]),
      );
    return {
      processed: c.processed ?? 0,
      emitted: pick('emitted.'),
      dropped: pick('dropped.'),
      outcomes: pick('outcome.'),
      failed: c.failed ?? 0,
      recoveries: c.recoveries ?? 0,
      out_of_order_decisions: c.out_of_order_decisions ?? 0,
      in_flight: this.inflight,
      recovering: this.recovering !== null,
      vendors: this.mappers.vendors(),
      registry: { ...counts.size, store: this.store.status() },
      systems: counts.systems,
    };
  }

  private recordHealth(events: Decision['health']): void {
    for (const event of events) this.timeline.record(event, this.registry.get(event.device_id)?.name ?? null);
    this.sampleTimeline(false);
  }

  /** `cmd.devices`: the registry's answer, with each listed device's document read from KV. */
  async queryDevices(q: DevicesCommandRequest): Promise<{ total: number; counts: Record<string, number>; devices: RegistryDeviceView[] }> {
    const r = this.registry.query(q);
    const listed = r.devices.filter((v) => this.registry.get(v.id)?.fingerprint);
    const docs = await this.store.read(listed.map((v) => documentKey(v.id)));
    for (const v of listed) {
      const doc = docs.get(documentKey(v.id)) as Device | undefined;
      // The document is the device as last listed; status and times are the registry's, current.
      if (doc) v.device = { ...doc, status: v.status, status_changed_at: v.status_changed_at, last_seen: v.last_seen };
    }
    return r;
  }

  /** Counts are a pass over the registry: at most every 2 s after changes, else once a minute. */
  private sampleTimeline(force: boolean): void {
    const wait = this.sampledAt + 2_000 - Date.now();
    if (!force && wait > 0) {
      this.pendingSample ??= setTimeout(() => {
        this.pendingSample = null;
        this.sampleTimeline(true);
      }, wait);
      this.pendingSample.unref();
      return;
    }
    this.sampledAt = Date.now();
    this.timeline.sample(this.registry.statusCounts());
  }

  /** `edge sync --confirm-removals <system>`: applies the held removals now (decide, then commit like a message). */
  async confirmRemovals(systemId: string): Promise<{ ok: boolean; removed?: number; error?: string }> {
    if (this.recovering) return { ok: false, error: 'device registry is reloading; try again' };
    const out = emptyDecision();
    const r = this.registry.confirmHeldRemovals(systemId, new Date().toISOString(), out);
    if (!r) return { ok: false, error: `no removals are held for system "${systemId}"` };
    await this.commit(out);
    this.rt.log.warn({ system_id: systemId, vendor: r.vendor, removed: r.removed }, 'held removals confirmed by command');
    return { ok: true, removed: r.removed };
  }

  /** The consume loop's handler for one raw message: decide, then commit (persist → publish → confirm). */
  handle(d: Delivery): Promise<void> {
    if (this.recovering) {
      this.counters.inc('deferred_while_recovering');
      return Promise.reject(retryable('registry_reloading', 'device registry is reloading after a failed write', { retryAfterMs: 1_000 }));
    }
    let decision: Decision;
    try {
      decision = this.decide(d);
    } catch (e) {
      if (e instanceof EdgeError) return Promise.reject(e);
      // A defect, not bad input: the registry may be half-updated, so reload it; the message is
      // dead-lettered (replayable once fixed) instead of looping forever.
      this.counters.inc('dropped.internal_error');
      this.beginRecovery(e);
      return Promise.reject(permanent('internal_error', `normalizer failed on this message: ${describeError(e)}`, { cause: e }));
    }
    return this.commit(decision);
  }

  /**
   * Write-ahead: the decided state, with its messages in the records' outboxes, is persisted
   * first; then the messages are published; then they leave the outboxes. A crash at any point
   * leaves KV either before the decision (the redelivered input decides again) or with the
   * messages in an outbox (published again at start-up, deduplicated by msg-id) — never a state
   * whose messages are lost.
   */
  private commit(decision: Decision): Promise<void> {
    this.inflight++;
    const persisted = this.store.persist(this.serialize(decision.changed, decision.documents));
    const done =
      decision.emissions.length === 0
        ? persisted.then(() => [] as PublishResult[])
        : this.outgoing.enqueue(persisted, decision.emissions).then((acks) => (this.confirm(decision.emissions), acks));
    return done.then(
      (acks) => {
        this.inflight--;
        this.count(decision, acks);
      },
      (e: unknown) => {
        this.inflight--;
        this.counters.inc('failed');
        this.beginRecovery(e);
        throw e instanceof EdgeError ? e : retryable('commit_failed', describeError(e), { cause: e });
      },
    );
  }

  private count(decision: Decision, acks: PublishResult[]): void {
    this.counters.inc('processed');
    for (const o of decision.outcomes) this.counters.inc(`outcome.${o}`);
    decision.emissions.forEach(({ emission }, i) => this.counters.inc(acks[i].duplicate ? 'emitted.duplicate' : `emitted.${emission.kind}`));
    if (decision.health.length > 0) this.recordHealth(decision.health);
  }

  private drop(reason: string, message: string, cause?: unknown): EdgeError {
    this.counters.inc(`dropped.${reason}`);
    return permanent(reason, message, cause === undefined ? undefined : { cause });
  }

  /** Synchronous: parse, map and decide. Throws a permanent EdgeError for bad input. */
  private decide(d: Delivery): Decision {
    if (d.deliveryCount === 1) {
      if (d.seq < this.lastSeq) this.counters.inc('out_of_order_decisions');
      else this.lastSeq = d.seq;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(decoder.decode(d.data));
    } catch (e) {
      throw this.drop('invalid_json', `raw message is not JSON: ${describeError(e)}`);
    }
    const env = RawEnvelope.safeParse(raw);
    if (!env.success) throw this.drop('invalid_envelope', `raw envelope invalid: ${issues(env.error)}`);
    const mapper = this.mappers.get(env.data.vendor);
    if (!mapper) throw this.drop('unknown_vendor', `no mapper registered for vendor "${env.data.vendor}" (known: ${this.mappers.vendors().join(', ') || 'none'})`);
    const ctx = mapContextOf(env.data);
    this.subjectsFor(ctx.site_id); // validates the site id before anything is decided
    const out = emptyDecision();
    switch (env.data.kind) {
      case 'device':
        this.registry.applyDevice(ctx, this.mapDevice(mapper, env.data.payload, ctx), d.seq, out);
        break;
      case 'status':
        for (const obs of this.mapStatus(mapper, env.data.payload, ctx)) this.registry.applyObservation(ctx, obs, d.seq, out);
        break;
      case 'sync.begin':
        if (!ctx.sync_id) throw this.drop('invalid_envelope', 'sync.begin without sync_id');
        this.registry.applySyncBegin(ctx, d.seq, out);
        break;
      case 'sync.end': {
        if (!ctx.sync_id) throw this.drop('invalid_envelope', 'sync.end without sync_id');
        const p = SyncEndPayload.safeParse(env.data.payload);
        if (!p.success) throw this.drop('invalid_payload', `sync.end payload invalid: ${issues(p.error)}`);
        this.registry.applySyncEnd(ctx, p.data, out);
        if (out.outcomes.includes('removals_held')) {
          const held = this.registry.system(ctx.vendor, ctx.system_id)?.held_removals;
          this.rt.log.warn({ system_id: ctx.system_id, vendor: ctx.vendor, held }, held ? heldNotice(ctx.system_id, held) : 'removals held');
        }
        break;
      }
    }
    return out;
  }

  private mapDevice(mapper: VendorMapper, payload: unknown, ctx: MapContext): Device {
    const p = mapper.deviceSchema.safeParse(payload);
    if (!p.success) throw this.drop('invalid_payload', `${ctx.vendor} device payload invalid: ${issues(p.error)}`);
    let mapped: unknown;
    try {
      mapped = mapper.mapDevice(p.data, ctx);
    } catch (e) {
      throw this.drop('mapper_error', `${ctx.vendor} mapper failed on a device: ${describeError(e)}`, e);
    }
    const dev = Device.safeParse(mapped);
    if (!dev.success) throw this.drop('invalid_mapping', `${ctx.vendor} mapper produced an invalid device: ${issues(dev.error)}`);
    if (dev.data.source.vendor !== ctx.vendor || dev.data.source.system_id !== ctx.system_id)
      throw this.drop('invalid_mapping', `${ctx.vendor} mapper produced device ${dev.data.id} of another system (${dev.data.source.vendor}/${dev.data.source.system_id})`);
    return dev.data;
  }

  private mapStatus(mapper: VendorMapper, payload: unknown, ctx: MapContext): StatusObservation[] {
    const p = mapper.statusSchema.safeParse(payload);
    if (!p.success) throw this.drop('invalid_payload', `${ctx.vendor} status payload invalid: ${issues(p.error)}`);
    let mapped: unknown;
    try {
      mapped = mapper.mapStatus(p.data, ctx);
    } catch (e) {
      throw this.drop('mapper_error', `${ctx.vendor} mapper failed on a status message: ${describeError(e)}`, e);
    }
    const obs = StatusObservations.safeParse(mapped);
    if (!obs.success) throw this.drop('invalid_mapping', `${ctx.vendor} mapper produced invalid observations: ${issues(obs.error)}`);
    return obs.data;
  }

  /** The records as journal items: each serialized now (the state at this moment), and the changed documents. */
  private serialize(changed: Owner[], documents: Decision['documents']): RegistryWrite[] {
    const writes: RegistryWrite[] = changed.map((o) => ({ key: o.key, value: JSON.stringify(o.value) }));
    for (const d of documents) writes.push(d);
    return writes;
  }

  private publish(emissions: Decision['emissions']): Promise<PublishResult[]> {
    return Promise.all(emissions.map(({ emission: em }) => this.rt.publisher.publish(em.subject, em.body, { msgId: em.msgId, headers: JSON_HEADERS })));
  }

  /**
   * The stream stored them: they leave the outboxes. No journal record waits for that: the
   * records' new values go to KV with their next change or the next compaction. Until then a
   * crash publishes them once more at start-up (same msg-ids and event ids: deduplicated).
   */
  private confirm(emissions: Decision['emissions']): void {
    this.registry.confirm(emissions);
    const owners = new Set<Owner>();
    for (const e of emissions) owners.add(e.owner);
    this.store.persistLater(this.serialize([...owners], []));
  }

  /** Publishes what earlier runs decided but never saw stored (start-up and recovery). */
  private async flushOutboxes(): Promise<void> {
    const pending = this.registry.pendingEmissions();
    if (pending.length === 0) return;
    this.rt.log.info({ messages: pending.length }, 'publishing canonical messages left in the registry outbox');
    const acks = await this.publish(pending);
    this.confirm(pending);
    this.counters.inc('outbox_republished', pending.length);
    this.counters.inc('outbox_republished_duplicate', acks.filter((a) => a.duplicate).length);
  }

  /** Canonical subjects of a site (cached: computed once per site). */
  private subjectsFor(siteId: string): { inventory: string; health: string } {
    let s = this.siteSubjects.get(siteId);
    if (!s) {
      try {
        s = { inventory: subjects.canonicalInventory(siteId), health: subjects.canonicalHealth(siteId) };
      } catch (e) {
        throw this.drop('invalid_envelope', `raw envelope invalid: site_id: ${describeError(e)}`);
      }
      this.siteSubjects.set(siteId, s);
    }
    return s;
  }

  /**
   * A publish or registry write failed: the in-process state may be ahead of what is durable.
   * Refuse new input (it is redelivered), let in-flight work settle, reload the registry from
   * KV, then continue — the failed inputs are redelivered and decided again from durable state.
   */
  private beginRecovery(cause: unknown): void {
    if (this.recovering) return;
    this.counters.inc('recoveries');
    this.rt.log.error({ err: describeError(cause) }, 'canonical publish or registry write failed; reloading the registry from KV');
    this.recovering = (async () => {
      while (this.inflight > 0) await sleep(20);
      for (let attempt = 0; ; attempt++) {
        try {
          this.outgoing.reset(retryable('registry_reset', 'registry was reloaded'));
          this.store.reset();
          await this.reload();
          await this.flushOutboxes();
          break;
        } catch (e) {
          if (attempt === 0 || attempt % 10 === 0) this.rt.log.warn({ err: describeError(e), attempt }, 'registry reload failed; retrying');
          await sleep(backoffDelay(attempt, RETRY_POLICIES.registryReload));
        }
      }
      this.rt.log.info({ registry: this.registry.size() }, 'registry reloaded; resuming');
    })().finally(() => {
      this.recovering = null;
    });
  }
}
