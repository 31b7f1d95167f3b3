/** Milestone XProtect vendor lib: API Gateway clients, inventory, events stream, collector, mapper. */
export * from './client';
export * from './events-ws';
export * from './inventory';
export * from './rs-probe';
export * from './config';
export * from './collector';
export * from './mapper';
export { milestoneVendor } from './descriptor';
