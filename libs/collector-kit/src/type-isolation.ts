import type { Logger } from 'pino';

/** Where a failed type is reported (the sync's `SyncWriter`). */
export interface FailedTypeSink {
  failType(type: string, reason: string): void;
}

export interface TypeIsolationOptions {
  log: Logger;
  /** Usually the sync's writer; null when the walk publishes nothing (an index for a poll). */
  sink: FailedTypeSink | null;
  /** Errors that end the whole sync (licence or session refused, client closed, aborted); the rest fail one type. */
  endsTheSync(e: unknown, signal?: AbortSignal): boolean;
  /** Short reason for the log, `/status` and the heartbeat (default: the error's message). */
  reason?(e: unknown): string;
}

/**
 * Per-type failure isolation of an inventory walk (ARCHITECTURE §7: "a type that failed makes the
 * sync partial for that type"). Each type's listing runs through `run`: a failure that does not
 * end the sync marks that type failed (logged once, reported to the writer, the normalizer keeps
 * that type's devices as they were) and the walk goes on. If every type failed, nothing was learnt
 * and `throwIfNothingListed` fails the sync with the first error.
 */
export class TypeIsolation {
  readonly failed = new Map<string, string>();
  private listed = 0;
  private firstError: unknown = null;

  constructor(private readonly o: TypeIsolationOptions) {}

  /** Lists one type; resolves false when it failed (and the sync goes on). */
  async run(type: string, signal: AbortSignal | undefined, fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      this.listed++;
      return true;
    } catch (e) {
      if (this.o.endsTheSync(e, signal)) throw e;
      this.add(type, e);
      return false;
    }
  }

  /** Marks a type failed without running it (e.g. discovery already refused it). */
  add(type: string, e: unknown): void {
    const reason = this.o.reason ? this.o.reason(e) : e instanceof Error ? e.message : String(e);
    this.firstError ??= e;
    if (this.failed.has(type)) return;
    this.failed.set(type, reason);
    this.o.log.warn({ type, reason }, 'could not list this type; the sync goes on without it (partial: its devices are kept as they were)');
    this.o.sink?.failType(type, reason);
  }

  /** Every type failed: nothing was learnt, so the sync failed as a whole. */
  throwIfNothingListed(): void {
    if (this.listed === 0 && this.firstError) throw this.firstError;
  }
}
