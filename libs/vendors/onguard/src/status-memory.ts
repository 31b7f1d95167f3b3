import { LastKnownState } from '@edge/collector-kit';
import type { HardwareStatusRead } from './raw-schema';

/**
 * The last hardware status read of every device, so the collector reads the readers and modules
 * of a panel only when that panel's status (or an event) says something changed, plus a slow full
 * sweep. Every `UpdateHardwareStatus`/`GetHardwareStatus` call is a row in OnGuard's user
 * transaction report (Milestone, "XProtect Access integration flooding OnGuard user transaction
 * report", mjt-milestone/XPALenelS2DocSite docs/Troubleshooting/FloodingOnGuardReports.md), and
 * integrations are told to poll rarely (same site, MCConfig/ConnectionProperties.md "States
 * polling interval … 900 seconds"; Genetec OnGuard plugin guide, "given the impact that a refresh
 * has on OpenAccess"). Bounded: one small record per status-capable device, kept in the kit's
 * `LastKnownState`; what is OnGuard's own here is the sweep plan.
 */
export class StatusMemory {
  private readonly reads = new LastKnownState<HardwareStatusRead>({ same: (a, b) => a.status === b.status });
  private lastSweepAt: number | null = null;
  private lastPanelPassAt: number | null = null;

  constructor(
    /** A full sweep (UpdateHardwareStatus + every device) at most this often; 0 = every pass. */
    private readonly sweepIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(type: string, keyMap: Record<string, unknown>): HardwareStatusRead | undefined {
    return this.reads.get(LastKnownState.key(type, keyMap));
  }

  /** Keeps a read; true when it differs from the last one kept (or there was none). A failed read keeps the last. */
  put(type: string, keyMap: Record<string, unknown>, read: HardwareStatusRead): boolean {
    const k = LastKnownState.key(type, keyMap);
    if (read.status === null) return !this.reads.has(k);
    return this.reads.put(k, read);
  }

  sweepDue(): boolean {
    return this.sweepIntervalMs <= 0 || this.lastSweepAt === null || this.now() - this.lastSweepAt >= this.sweepIntervalMs;
  }

  sweepDone(): void {
    this.lastSweepAt = this.now();
    this.lastPanelPassAt = this.lastSweepAt;
  }

  /** Panels were read within `maxAgeMs` (an inventory sync then reuses those reads). */
  panelsFresh(maxAgeMs: number): boolean {
    return maxAgeMs > 0 && this.lastPanelPassAt !== null && this.now() - this.lastPanelPassAt < maxAgeMs;
  }

  panelPassDone(): void {
    this.lastPanelPassAt = this.now();
  }

  state(): { devices: number; last_sweep_at: string | null; last_panel_pass_at: string | null } {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return { devices: this.reads.size, last_sweep_at: iso(this.lastSweepAt), last_panel_pass_at: iso(this.lastPanelPassAt) };
  }
}
