import { defineService, runService, type ServiceDefinition } from '@edge/platform';
import { createCollectorModule } from './collector-module';
import type { VendorDescriptor } from './vendor-descriptor';

/** A vendor's collector service: one runner per enabled system of the vendor, from its descriptor. */
export function collectorDefinition(vendor: VendorDescriptor): ServiceDefinition {
  return defineService({
    service: vendor.service.name,
    port: vendor.service.port,
    module: async () => {
      const create = await vendor.collector();
      return createCollectorModule({ vendor: vendor.id, create: (system, rt) => create(system, rt.log) });
    },
  });
}

/** The whole `main.ts` of a collector service: `runCollector(onguardVendor)`. */
export function runCollector(vendor: VendorDescriptor): void {
  runService(collectorDefinition(vendor));
}
