/**
 * Lenel OnGuard (OpenAccess) vendor lib: client, inventory, hardware status, Web Event Bridge,
 * raw schemas, pure mapper (also at `@edge/vendor-onguard/mapper`), and the collector.
 */
export * from './config';
export * from './raw-schema';
export * from './client';
export * from './inventory';
export * from './hardware-status';
export * from './event-bridge';
export * from './mapper';
export { OnGuardCollector, createOnGuardCollector } from './collector';
export { onguardVendor } from './descriptor';
