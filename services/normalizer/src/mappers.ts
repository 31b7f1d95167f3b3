import { MapperRegistry } from '@edge/contracts';

/**
 * The vendor mappers this normalizer knows. Adding a vendor = one `.register(...)` line here;
 * the normalizer itself never branches on vendor names.
 */
export function createMapperRegistry(): MapperRegistry {
  return new MapperRegistry();
}
