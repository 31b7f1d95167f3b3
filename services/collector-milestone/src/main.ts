import './otel';
import { runCollector } from '@edge/collector-kit';
import { milestoneVendor } from '@edge/vendor-milestone';

runCollector(milestoneVendor);
