export { startMilestoneSimulator, type MilestoneSimulator, type MilestoneSimulatorOptions } from './server';
export { SimControl, SimError } from './scenario';
export type { DeviceTruth, SiteModel, SimDevice } from './model';
export type { LedgerEntry } from './state';
export { T as SIM_EVENT_TYPES, G as SIM_STATE_GROUPS } from './vocabulary';
