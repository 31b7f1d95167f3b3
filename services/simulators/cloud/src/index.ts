export { startCloudSimulator, type CloudSimulator, type CloudSimulatorOptions } from './server';
export { FaultSpec } from './faults';
export type { StoredDevice, StoredEvent, StoredSync, RequestRecord, Retain } from './store';
export { sampleDevice, sampleEvent } from './fixtures';
