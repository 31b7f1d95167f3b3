export * from './nats-server';
export * from './config';
export * from './wait';
