import { MapperRegistry } from '@edge/contracts';
import { VENDORS } from '@edge/vendors';

/**
 * The mappers of every vendor in the vendor list (`@edge/vendors`; a descriptor brings its pure
 * mapper and loads no collector code). The normalizer itself never branches on vendor names.
 */
export function createMapperRegistry(): MapperRegistry {
  const registry = new MapperRegistry();
  for (const v of VENDORS) registry.register(v.mapper);
  return registry;
}
