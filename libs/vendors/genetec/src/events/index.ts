export * from './decode';
export * from './event-stream';
export * from './subscriptions';
