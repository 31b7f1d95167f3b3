export * from './nats-server';
export * from './config';
