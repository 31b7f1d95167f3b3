/**
 * Mapper-only entry of the Milestone vendor lib (what the normalizer imports): raw schemas and
 * pure raw → canonical functions. No HTTP or WebSocket code is reachable from here.
 */
import type { VendorMapper } from '@edge/contracts';
import { MilestoneDevicePayload, MilestoneStatusPayload } from '../raw-schema';
import { mapDevice, VENDOR } from './map-device';
import { mapStatus } from './map-status';

export const milestoneMapper: VendorMapper<MilestoneDevicePayload, MilestoneStatusPayload> = {
  vendor: VENDOR,
  deviceSchema: MilestoneDevicePayload,
  statusSchema: MilestoneStatusPayload,
  mapDevice,
  mapStatus,
};

export { mapDevice, milestoneDeviceId, CANONICAL_TYPE, isDisabled, VENDOR } from './map-device';
export { mapStatus, observeRow } from './map-status';
export { macFromSettings, firmwareFromSettings, serialFromSettings } from './driver-settings';
export * from '../raw-schema';
export * from '../constants';
