import './otel';
import { runCollector } from '@edge/collector-kit';
import { onguardVendor } from '@edge/vendor-onguard';

runCollector(onguardVendor);
