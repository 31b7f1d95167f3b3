/**
 * `GET /hardware/{id}/hardwareDriverSettings` costs one management-server call per hardware
 * (~300 ms each on real sites; 2,653 cameras needed one call per hardware, milestone-xprotect.md
 * §3.6). The answer is kept per hardware and reused while the hardware's `lastModified` — the
 * change marker every Configuration API item carries (§3.4) — is unchanged and the entry is
 * younger than `driver_settings_ttl`, so an hourly sync of a stable site makes no such calls.
 */
export class DriverSettingsCache {
  private readonly entries = new Map<string, { marker: string | null; at: number; settings: Record<string, unknown> | null }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached answer (null = the server had none), or undefined when it must be fetched. */
  get(hardwareId: string, marker: string | null): Record<string, unknown> | null | undefined {
    const e = this.entries.get(hardwareId);
    if (!e || e.marker === null || e.marker !== marker || this.now() - e.at >= this.ttlMs) return undefined;
    return e.settings;
  }

  set(hardwareId: string, marker: string | null, settings: Record<string, unknown> | null): void {
    this.entries.set(hardwareId, { marker, at: this.now(), settings });
  }

  /** After a complete inventory: forget hardware that is gone. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.entries.keys()) if (!ids.has(id)) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
