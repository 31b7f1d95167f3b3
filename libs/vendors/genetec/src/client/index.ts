export * from './errors';
export * from './http';
export * from './tls';
export * from './urls';
export * from './web-sdk-client';
