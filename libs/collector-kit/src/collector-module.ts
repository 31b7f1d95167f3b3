import { Controller, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { customerIdFor, describeError, EDGE_RUNTIME, KvStateStore, openCollectorStateBucket, type EdgeRuntime, type SystemConfig } from '@edge/platform';
import type { VendorCollector } from './collector';
import { RawPublisher } from './raw-publisher';
import { CollectorRunner, runnerOptionsFor, type SyncReport } from './runner';

const SyncRequest = z.object({ system: z.string().optional(), wait: z.boolean().optional() }).strict();

export interface CollectorModuleOptions {
  vendor: string;
  /** Validates the vendor extras of a system config and builds its collector. Throws with a clear message on bad config. */
  create(system: SystemConfig, rt: EdgeRuntime): VendorCollector;
}

/**
 * Builds the Nest module of a collector service: one runner per configured system of the
 * vendor; `POST /sync` and `edge.<site>.cmd.sync`; `/status` with every system's state.
 */
export function createCollectorModule(o: CollectorModuleOptions): Type<unknown> {
  @Injectable()
  class Runners implements OnModuleInit, OnApplicationShutdown {
    readonly list: CollectorRunner[] = [];
    constructor(@Inject(EDGE_RUNTIME) private readonly rt: EdgeRuntime) {}

    async onModuleInit(): Promise<void> {
      const systems = this.rt.config.systems.filter((s) => s.vendor === o.vendor && s.enabled);
      const stateKv = systems.length > 0 ? await openCollectorStateBucket(this.rt.nc) : null;
      for (const system of systems) {
        const collector = o.create(system, this.rt);
        const raw = new RawPublisher(this.rt.publisher, {
          vendor: o.vendor,
          system_id: system.id,
          site_id: this.rt.config.site.id,
          customer_id: customerIdFor(this.rt.config, system),
        });
        const state = stateKv ? new KvStateStore(stateKv, `${o.vendor}.${system.id}`) : undefined;
        const runner = new CollectorRunner(collector, raw, this.rt.log.child({ system_id: system.id }), { ...runnerOptionsFor(system), state });
        this.list.push(runner);
      }
      this.rt.status.contribute('systems', () => this.list.map((r) => r.status()));
      this.rt.status.readyCheck('systems', () => {
        const bad = this.list.filter((r) => r.collector.state().connection !== 'connected').map((r) => r.systemId);
        return bad.length === 0 ? true : `not connected: ${bad.join(', ')}`;
      });
      this.rt.status.route('POST /sync', async (body) => {
        const req = SyncRequest.safeParse(body ?? {});
        if (!req.success) return { status: 400, body: { ok: false, error: req.error.issues.map((i) => i.message).join('; ') } };
        return this.trigger(req.data.system, req.data.wait ?? false);
      });
      for (const r of this.list) {
        r.start().catch((e) => this.rt.log.error({ system_id: r.systemId, err: describeError(e) }, 'collector failed to start'));
      }
      if (systems.length === 0) this.rt.log.warn({ vendor: o.vendor }, 'no enabled systems of this vendor in the config');
    }

    async trigger(system: string | undefined, wait: boolean): Promise<{ status?: number; body: unknown }> {
      const targets = system ? this.list.filter((r) => r.systemId === system) : this.list;
      if (system && targets.length === 0) return { status: 404, body: { ok: false, error: `no ${o.vendor} system "${system}" here` } };
      const started = targets.map((r) => ({ runner: r, p: r.sync('command') }));
      if (!wait) {
        started.forEach(({ p }) => p.catch(() => undefined));
        await new Promise((r) => setTimeout(r, 50));
        return { status: 202, body: { ok: true, accepted: started.map(({ runner }) => ({ system_id: runner.systemId, sync_id: runner.status().last_sync?.sync_id ?? null })) } };
      }
      const results = await Promise.all(
        started.map(async ({ runner, p }) => {
          try {
            return { system_id: runner.systemId, ...(await p) };
          } catch (e) {
            return { system_id: runner.systemId, ...((e as { report?: SyncReport }).report ?? {}), error: describeError(e) };
          }
        }),
      );
      return { body: { ok: results.every((r) => !('error' in r) || !r.error), results } };
    }

    async onApplicationShutdown(): Promise<void> {
      await Promise.all(this.list.map((r) => r.stop()));
    }
  }

  @Controller()
  class CollectorCommands {
    constructor(
      @Inject(Runners) private readonly runners: Runners,
      @Inject(EDGE_RUNTIME) private readonly rt: EdgeRuntime,
    ) {}

    /** `edge.<site>.cmd.sync` — every collector answers for its own systems; unknown systems are ignored. */
    @MessagePattern('cmd.sync')
    async sync(@Payload() body: unknown) {
      const req = SyncRequest.safeParse(body ?? {});
      if (!req.success) return { ok: false, service: this.rt.service, error: 'invalid request' };
      if (req.data.system && !this.runners.list.some((r) => r.systemId === req.data.system)) return { ok: true, service: this.rt.service, skipped: true };
      const r = await this.runners.trigger(req.data.system, req.data.wait ?? false);
      return { service: this.rt.service, ...(r.body as object) };
    }
  }

  @Module({ providers: [Runners], controllers: [CollectorCommands] })
  class CollectorModule {}
  return CollectorModule;
}
