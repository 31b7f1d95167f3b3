import type { SimEntity } from './model';

/** A status change the simulator made, as the canonical status the collector should report. */
export interface LedgerEntry {
  seq: number;
  /** The entity's GUID (the native key of its canonical id). */
  key: string;
  status: string;
}

/** Canonical status of an entity: maintenance → disabled, Warning → degraded (see the vendor lib's README). */
export function statusOf(e: SimEntity): string {
  if (e.maintenance) return 'disabled';
  return e.state === 'warning' ? 'degraded' : e.state;
}

/** Every status change the simulator made, in order (the chaos suite's truth). Bounded. */
export class Ledger {
  private readonly entries: LedgerEntry[] = [];
  private seq = 0;

  add(key: string, status: string): void {
    this.entries.push({ seq: ++this.seq, key, status });
    if (this.entries.length > 200_000) this.entries.splice(0, 100_000);
  }

  after(afterSeq: number): LedgerEntry[] {
    return this.entries.filter((e) => e.seq > afterSeq);
  }
}
