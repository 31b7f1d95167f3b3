import { MapperRegistry } from '@edge/contracts';
import { onguardMapper } from '@edge/vendor-onguard/mapper';
import { milestoneMapper } from '@edge/vendor-milestone/mapper';

/**
 * The vendor mappers this normalizer knows. Adding a vendor = one `.register(...)` line here;
 * the normalizer itself never branches on vendor names.
 */
export function createMapperRegistry(): MapperRegistry {
  return new MapperRegistry()
    .register(onguardMapper)
    .register(milestoneMapper);
}
