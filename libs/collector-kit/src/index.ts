export * from './collector';
export * from './raw-publisher';
export * from './runner';
export * from './collector-module';
export * from './event-stream';
export * from './status-repair';
export * from './state-cache';
export * from './type-isolation';
