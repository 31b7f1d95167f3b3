export * from './ess-connection';
export * from './event-stream';
export * from './filters';
export * from './rs-event-types';
