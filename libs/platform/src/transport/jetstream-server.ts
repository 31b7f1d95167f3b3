import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { Subscription } from '@nats-io/transport-node';
import { subjects } from '@edge/contracts';
import { DurableConsumer, type Delivery } from '../nats/consumer';
import { serveCommand } from '../nats/commands';
import type { EdgeRuntime } from '../runtime';

/** Binds an `@EventPattern(pattern)` handler to a durable JetStream consumer. */
export interface ConsumerBinding {
  pattern: string;
  stream: string;
  durable: string;
  /** DLQ stage name. */
  stage: string;
  concurrency?: number;
  fetchBatch?: number;
  /** Stream the handler publishes into: pulling stops while it is nearly full (see DurableConsumer). */
  downstream?: { stream: string; high?: number; low?: number };
}

/**
 * Nest transport over JetStream. `@EventPattern(<binding pattern>)` handlers receive a
 * `Delivery` and are acked only after they resolve (errors settle by kind: see DurableConsumer).
 * `@MessagePattern('cmd.<name>')` handlers answer core NATS requests on `edge.<site>.cmd.<name>`
 * (all instances answer: scatter/gather). Every service also answers `edge.<site>.cmd.status`
 * (scatter/gather) and `edge.<site>.svc.<service>.status` with `{ service, status, ready }` (its
 * /status and /readyz).
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  readonly consumers = new Map<string, DurableConsumer>();
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly rt: EdgeRuntime,
    private readonly bindings: ConsumerBinding[],
  ) {
    super();
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      for (const b of this.bindings) {
        const handler = this.getHandlerByPattern(b.pattern);
        if (!handler) throw new Error(`no @EventPattern('${b.pattern}') handler for consumer ${b.stream}/${b.durable}`);
        const consumer = new DurableConsumer(this.rt.nc, this.rt.publisher, this.rt.log, {
          stream: b.stream,
          durable: b.durable,
          stage: b.stage,
          concurrency: b.concurrency,
          fetchBatch: b.fetchBatch,
          downstream: b.downstream,
          handler: async (d: Delivery) => {
            await this.invoke(handler, d);
          },
        });
        await consumer.start();
        this.consumers.set(b.pattern, consumer);
      }
      // Every service answers the status scatter/gather and its own status subject.
      // `ready` is what /readyz says: the status page shows each service's health from it.
      const statusReply = async () => ({ service: this.rt.service, status: await this.rt.status.snapshot(), ready: await this.rt.status.readiness() });
      this.subs.push(serveCommand(this.rt.nc, subjects.cmdStatus(this.rt.config.site.id), statusReply, this.rt.log));
      this.subs.push(serveCommand(this.rt.nc, subjects.cmdStatusService(this.rt.config.site.id, this.rt.service), statusReply, this.rt.log));
      for (const [pattern, handler] of this.getHandlers()) {
        if (handler.isEventHandler) continue;
        const subject = this.subjectFor(pattern);
        if (!subject) continue;
        this.subs.push(serveCommand(this.rt.nc, subject, (req) => this.invoke(handler, req), this.rt.log));
      }
      callback();
    } catch (e) {
      callback(e);
    }
  }

  private subjectFor(pattern: string): string | null {
    const site = this.rt.config.site.id;
    if (pattern.startsWith('cmd.')) return `edge.${site}.${pattern}`;
    return null;
  }

  private async invoke(handler: MessageHandler, data: unknown): Promise<unknown> {
    const result = await handler(data);
    return lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  async close(): Promise<void> {
    for (const s of this.subs.splice(0)) s.unsubscribe();
    await Promise.all([...this.consumers.values()].map((c) => c.stop()));
  }

  on<EventKey extends string = string, EventCallback extends Function = Function>(_event: EventKey, _callback: EventCallback): never {
    throw new Error('JetStreamServer does not emit transport events; use the runtime status registry');
  }

  unwrap<T>(): T {
    return this.rt.nc as T;
  }
}
