import { Controller, Inject, Module } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { CONSUMERS, STREAMS } from '@edge/contracts';
import { EDGE_RUNTIME, waitForOrphanedDeliveries, type ConsumerBinding, type Delivery, type EdgeConfig, type EdgeRuntime, type ServiceOptions } from '@edge/platform';
import { handleDlqCommand } from './dlq-command';
import { Forwarder, FORWARDER_PATTERN, forwarderConcurrency } from './forwarder';

@Controller()
class ForwarderController {
  constructor(
    @Inject(Forwarder) private readonly forwarder: Forwarder,
    @Inject(EDGE_RUNTIME) private readonly rt: EdgeRuntime,
  ) {}

  @EventPattern(FORWARDER_PATTERN)
  canonical(@Payload() d: Delivery): Promise<void> {
    return this.forwarder.accept(d);
  }

  @MessagePattern('cmd.dlq')
  dlq(@Payload() body: unknown) {
    return handleDlqCommand(this.rt, body);
  }
}

/**
 * Resolved before the consumer starts: after an unclean stop (SIGKILL mid-batch) the previous
 * instance's unacked batch comes back only after its ack wait; pulling newer messages first
 * would deliver a device's later state before its earlier one.
 */
const ORPHANS = {
  provide: 'FORWARDER_ORPHANED_DELIVERIES',
  inject: [EDGE_RUNTIME],
  useFactory: (rt: EdgeRuntime) => waitForOrphanedDeliveries(rt, { stream: STREAMS.canonical, durable: CONSUMERS.forwarder }),
};

@Module({ providers: [ORPHANS, Forwarder], controllers: [ForwarderController] })
export class ForwarderModule {}

export function forwarderBindings(config: EdgeConfig): ConsumerBinding[] {
  return [
    {
      pattern: FORWARDER_PATTERN,
      stream: STREAMS.canonical,
      durable: CONSUMERS.forwarder,
      stage: 'forwarder',
      concurrency: forwarderConcurrency(config.cloud.batch.max_items),
      fetchBatch: 256,
    },
  ];
}

/** Everything `runService`/`startService` needs to run the forwarder with `config`. */
export function forwarderService(config: EdgeConfig, over: Partial<ServiceOptions> = {}): ServiceOptions {
  return { service: 'forwarder', module: ForwarderModule, consumers: forwarderBindings(config), config, ...over };
}
