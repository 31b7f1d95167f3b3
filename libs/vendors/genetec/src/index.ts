/** Genetec Security Center vendor lib: Web SDK client, inventory, status, event stream, collector, mapper. */
export * from './client';
export * from './events';
export * from './config';
export * from './constants';
export * from './inventory';
export * from './projection';
export * from './status';
export * from './last-known';
export * from './event-publisher';
export * from './collector';
export * from './probe';
export { genetecMapper, mapDevice, mapStatus, genetecDeviceId, canonicalType, eventKey, entityStatus } from './mapper';
export * from './raw-schema';
export { genetecVendor } from './descriptor';
