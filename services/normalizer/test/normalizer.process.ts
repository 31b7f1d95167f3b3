import { runService } from '@edge/platform';
import { createNormalizerModule, normalizerConsumers } from '../src/normalizer.module';
import { testMappers } from './harness';

// The normalizer as its own process (EDGE_CONFIG), with the test mapper: lets tests SIGKILL it.
// NORMALIZER_DURABLE points it at a test-made durable (short ack wait: redelivery after a kill
// comes in seconds, not the production 30 s).
const durable = process.env.NORMALIZER_DURABLE;
runService({
  service: 'normalizer',
  module: () => createNormalizerModule({ mappers: testMappers, consumer: durable ? { ...normalizerConsumers[0], durable } : undefined }),
  consumers: () => (durable ? normalizerConsumers.map((b) => ({ ...b, durable })) : normalizerConsumers),
});
