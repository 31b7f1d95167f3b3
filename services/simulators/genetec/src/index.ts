export { startGenetecSimulator, type GenetecSimulator, type GenetecSimulatorOptions, type SimControl } from './server';
export { SiteModel, shapeForSize, entityCount, type SimEntity, type RunState, type SiteShape } from './model';
export { dotnetTime } from './events-hub';
