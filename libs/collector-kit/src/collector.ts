import type { ConnectionState } from '@edge/contracts';
import type { StateStore } from '@edge/platform';
import type { RawPublisher, SyncWriter } from './raw-publisher';

/** Live state a collector reports (merged into /status and the heartbeat). */
export interface CollectorState {
  connection: ConnectionState;
  /** Event stream state, e.g. 'subscribed', 'reconnecting', 'unsupported'. */
  events: string;
  last_error: string | null;
  /** What the cloud should be told about this system (e.g. a feature the server's version lacks). */
  notices?: string[];
  /** Vendor-specific details (server version, session info without secrets, ...). */
  details?: Record<string, unknown>;
}

export interface CollectorHooks {
  /** Ask the runner for a status poll soon (after an event-stream gap). Debounced. */
  requestReconcile(reason: string): void;
  /**
   * Status observations were dropped unpublished (e.g. the collector's own publish queue was full):
   * the kit schedules a repair poll. Failed `raw.status()` publishes need no call: the kit sees them.
   */
  statusDropped(reason: string, count?: number): void;
  /** Publish raw status messages. */
  readonly raw: RawPublisher;
  /** Durable per-system state that survives restarts (null: none configured). */
  readonly state: StateStore | null;
}

/**
 * What every vendor collector implements (one instance per configured system). The runner in
 * this lib owns scheduling, single-flight syncs, reconcile-after-gap and status reporting.
 */
export interface VendorCollector {
  readonly vendor: string;
  readonly systemId: string;
  /** Connect, authenticate, subscribe to events (returns when subscribed or failing in the background). */
  start(hooks: CollectorHooks): Promise<void>;
  /** Unsubscribe, log out, close sockets. */
  stop(): Promise<void>;
  /** Stream the full inventory into `writer`, one composed device per `writer.device()`. */
  runInventory(writer: SyncWriter, signal: AbortSignal): Promise<void>;
  /** Poll current status of every device and publish it with `hooks.raw.status(...)`. */
  pollStatus(raw: RawPublisher, signal: AbortSignal, reason: string): Promise<{ devices: number }>;
  state(): CollectorState;
}

export type CollectorFactory<C = Record<string, unknown>> = (args: {
  system: C;
  log: import('pino').Logger;
}) => VendorCollector;
