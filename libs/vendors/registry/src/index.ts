/**
 * THE list of vendors this build collects from: one line per vendor, its lib's descriptor.
 * Everything that enumerates vendors reads it — the config schema's vendor names and collector
 * ports, the normalizer's mappers, the process list and docker-compose.yml, docs/CONFIG.md,
 * `edge config check` and `edge survey`, the demo, the chaos suite. See README.md here.
 */
import type { VendorDescriptor } from '@edge/collector-kit/vendor';
import { genetecVendor } from '@edge/vendor-genetec/descriptor';
import { milestoneVendor } from '@edge/vendor-milestone/descriptor';
import { onguardVendor } from '@edge/vendor-onguard/descriptor';

export const VENDORS: readonly VendorDescriptor[] = [
  onguardVendor,
  milestoneVendor,
  genetecVendor,
];

/** The descriptor of `id`, or undefined for a vendor this build does not know. */
export function vendorById(id: string): VendorDescriptor | undefined {
  return VENDORS.find((v) => v.id === id);
}

export type { VendorDescriptor } from '@edge/collector-kit/vendor';
