import './otel';
import { configPath, describeError, loadConfig, runService, type EdgeConfig } from '@edge/platform';
import { forwarderService } from './forwarder.module';

// Loaded here (not inside runService) because the consumer binding's concurrency follows cloud.batch.
function config(): EdgeConfig {
  try {
    return loadConfig(configPath());
  } catch (e) {
    console.error(JSON.stringify({ level: 'fatal', service: 'forwarder', msg: describeError(e) }));
    process.exit(1);
  }
}

runService(forwarderService(config()));
