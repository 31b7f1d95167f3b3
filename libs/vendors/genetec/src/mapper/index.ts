/**
 * Mapper-only entry of the Genetec vendor lib (what the normalizer imports): raw schemas and
 * pure raw → canonical functions. No HTTP code is reachable from here.
 */
import type { VendorMapper } from '@edge/contracts';
import { VENDOR } from '../constants';
import { GenetecDevicePayload, GenetecStatusPayload } from '../raw-schema';
import { mapDevice } from './map-device';
import { mapStatus } from './map-status';

export const genetecMapper: VendorMapper<GenetecDevicePayload, GenetecStatusPayload> = {
  vendor: VENDOR,
  deviceSchema: GenetecDevicePayload,
  statusSchema: GenetecStatusPayload,
  mapDevice,
  mapStatus,
};

export { mapDevice, genetecDeviceId, canonicalType } from './map-device';
export { mapStatus, eventKey } from './map-status';
export { entityStatus, type EntityStatus } from './entity-status';
export * from '../raw-schema';
export { VENDOR } from '../constants';
