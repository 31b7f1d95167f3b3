/**
 * Mapper-only entry of the OnGuard vendor lib (what the normalizer imports): raw schemas and
 * pure functions, no HTTP.
 */
export { onguardMapper, mapDevice, mapStatus, deriveStatus, canonicalId, flag, ipOf, VENDOR } from './onguard-mapper';
export { ONGUARD_TYPES, VIDEO_RECORDER, typeInfo, nativeKeyOf, keyMapOf, parentKeyOf, type OnGuardTypeInfo } from './types';
export { OnGuardRawDevice, OnGuardRawStatus, StatusRow, HardwareStatusRead } from '../raw-schema';
export { decodeHardwareStatus, PANEL_BITS, READER_BITS } from '../status-bits';
