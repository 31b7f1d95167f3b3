import type { Logger } from 'pino';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EdgeConfig } from './config/schema';
import type { Publisher } from './nats/publisher';
import type { DlqAdmin } from './nats/dlq';
import type { RouteHandler } from './health/http-server';
import type { DurableConsumer } from './nats/consumer';

/** DI token of the service runtime. Inject with `@Inject(EDGE_RUNTIME) rt: EdgeRuntime`. */
export const EDGE_RUNTIME = Symbol.for('edge.runtime');

type Contributor = () => unknown | Promise<unknown>;
type ReadyCheck = () => boolean | string | Promise<boolean | string>;

/** What a service reports on /status and /readyz; components register themselves here. */
export class StatusRegistry {
  private readonly contributors = new Map<string, Contributor>();
  private readonly checks = new Map<string, ReadyCheck>();
  readonly routes: Record<string, RouteHandler> = {};

  contribute(name: string, fn: Contributor): void {
    this.contributors.set(name, fn);
  }
  readyCheck(name: string, fn: ReadyCheck): void {
    this.checks.set(name, fn);
  }
  route(methodAndPath: string, handler: RouteHandler): void {
    this.routes[methodAndPath] = handler;
  }
  async snapshot(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [k, fn] of this.contributors) {
      try {
        out[k] = await fn();
      } catch (e) {
        out[k] = { error: String((e as Error)?.message ?? e) };
      }
    }
    return out;
  }
  async readiness(): Promise<{ ok: boolean; checks: Record<string, boolean | string> }> {
    const checks: Record<string, boolean | string> = {};
    let ok = true;
    for (const [k, fn] of this.checks) {
      let v: boolean | string;
      try {
        v = await fn();
      } catch (e) {
        v = String((e as Error)?.message ?? e);
      }
      checks[k] = v;
      if (v !== true) ok = false;
    }
    return { ok, checks };
  }
}

export interface EdgeRuntime {
  readonly service: string;
  readonly version: string;
  readonly config: EdgeConfig;
  readonly log: Logger;
  readonly nc: NatsConnection;
  readonly publisher: Publisher;
  readonly dlq: DlqAdmin;
  readonly status: StatusRegistry;
  readonly startedAt: Date;
  /** The durable consumer bound to an `@EventPattern` (once the transport listens), e.g. to pause it. */
  readonly consumer?: (pattern: string) => DurableConsumer | undefined;
}
