export { EventBridge, type EventBridgeOptions, type BridgeState } from './event-bridge';
export { SignalRConnection, HubError, type SignalRClientOptions } from './signalr-client';
export { readHardwareEvent, compileEventRules, type HardwareEvent, type CompiledEventRules } from './hardware-event';
