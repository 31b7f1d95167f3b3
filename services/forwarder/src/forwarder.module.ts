import { Controller, Inject, Module } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { CONSUMERS, STREAMS } from '@edge/contracts';
import { defineService, EDGE_RUNTIME, type ConsumerBinding, type Delivery, type EdgeConfig, type EdgeRuntime, type ServiceOptions } from '@edge/platform';
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

@Module({ providers: [Forwarder], controllers: [ForwarderController] })
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

/** The forwarder service (its `main.ts` is `runService(forwarderDefinition)`); the consumer's concurrency follows cloud.batch. */
export const forwarderDefinition = defineService({ service: 'forwarder', module: () => ForwarderModule, consumers: forwarderBindings });

/** Everything `startService` needs to run the forwarder with `config` (tests). */
export function forwarderService(config: EdgeConfig, over: Partial<ServiceOptions> = {}): ServiceOptions {
  return { service: 'forwarder', module: ForwarderModule, consumers: forwarderBindings(config), config, ...over };
}
