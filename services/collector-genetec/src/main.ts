import './otel';
import { runCollector } from '@edge/collector-kit';
import { genetecVendor } from '@edge/vendor-genetec';

runCollector(genetecVendor);
