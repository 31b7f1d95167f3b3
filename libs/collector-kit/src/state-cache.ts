/**
 * Last-known state per device, kept by a collector between observations: what inventory items
 * carry, what a poll compares against to read only what changed, what an event must be newer than.
 * Bounded by the number of devices (one entry each). Pure: no IO, no timers.
 */
export interface LastKnownStateOptions<V> {
  /** When a value was observed (ms since epoch); with it an older observation never replaces a newer one. */
  timeOf?: (v: V) => number;
  /** Whether two values mean the same state (default: ===). */
  same?: (a: V, b: V) => boolean;
}

export class LastKnownState<V> {
  private readonly states = new Map<string, V>();

  constructor(private readonly o: LastKnownStateOptions<V> = {}) {}

  /** A stable key from a device's type and key properties (case-insensitive names, any order). */
  static key(type: string, keyMap: Record<string, unknown>): string {
    return `${type}:${Object.entries(keyMap)
      .map(([k, v]) => `${k.toLowerCase()}=${String(v)}`)
      .sort()
      .join(',')}`;
  }

  get(key: string): V | undefined {
    return this.states.get(key);
  }

  has(key: string): boolean {
    return this.states.has(key);
  }

  get size(): number {
    return this.states.size;
  }

  /**
   * Keeps `v` unless it is older than what is held. Returns whether the state changed: true for a
   * first observation or a different state, false for the same state or an older observation.
   */
  put(key: string, v: V): boolean {
    const prev = this.states.get(key);
    if (prev !== undefined && this.o.timeOf && this.o.timeOf(v) < this.o.timeOf(prev)) return false;
    this.states.set(key, v);
    return prev === undefined || !(this.o.same ? this.o.same(prev, v) : prev === v);
  }

  delete(key: string): void {
    this.states.delete(key);
  }

  /** Drops every device not in `keep` (after a complete inventory). */
  retain(keep: ReadonlySet<string>): void {
    for (const k of this.states.keys()) if (!keep.has(k)) this.states.delete(k);
  }
}
