import type { EdgeConfig, EdgeConfigInput } from '../config/schema';
import { EdgeConfig as EdgeConfigSchema } from '../config/schema';

/** A valid config for tests, with overrides. */
export function testConfig(natsUrl: string, over: Partial<EdgeConfigInput> = {}): EdgeConfig {
  return EdgeConfigSchema.parse({
    site: { id: 'site-test', customer_id: 'cust-test' },
    nats: { url: natsUrl },
    cloud: { base_url: 'http://127.0.0.1:9', token: 'test-cloud-token' },
    streams: { duplicate_window: '30s' },
    http: { host: '127.0.0.1', ports: {} },
    log: { level: 'warn' },
    ...over,
  });
}
