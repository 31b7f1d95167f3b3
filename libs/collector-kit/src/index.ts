export * from './collector';
export * from './raw-publisher';
export * from './runner';
export * from './collector-module';
export * from './vendor-descriptor';
export * from './vendor-service';
