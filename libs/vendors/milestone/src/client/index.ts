export * from './http';
export * from './tls';
export * from './urls';
export * from './idp-auth';
export * from './config-api-client';
