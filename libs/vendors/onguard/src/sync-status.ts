import { getCi } from '@edge/contracts';
import type { HardwareStatusReader } from './hardware-status';
import { flag } from './mapper/onguard-mapper';
import { parentKeyOf } from './mapper/types';
import type { HardwareStatusRead, PropertyValueMap } from './raw-schema';
import type { StatusMemory } from './status-memory';

const PANEL = 'Lnl_Panel';

export interface SyncStatusDeps {
  reader: HardwareStatusReader;
  memory: StatusMemory;
  /** Panel reads younger than this (the status poll period) are reused by a sync. */
  panelReadsFreshForMs: number;
}

type KeyOf = (p: PropertyValueMap) => Record<string, unknown> | null;

/**
 * Panel status for an inventory sync (see StatusMemory for why): read after UpdateHardwareStatus
 * on a full sweep, read alone otherwise, or the reads of a recent poll reused (only panels never
 * read are read then). Fills `out.reads` per panel key and `out.changed` with panels whose status
 * differs from what was known.
 */
export async function panelStatusForSync(
  d: SyncStatusDeps,
  panels: Array<[string, PropertyValueMap]>,
  keyOf: KeyOf,
  outParam: string | undefined,
  sweep: boolean,
  out: { reads: Map<string, HardwareStatusRead>; changed: Set<string> },
  signal: AbortSignal,
): Promise<void> {
  const recent = !sweep && d.memory.panelsFresh(d.panelReadsFreshForMs);
  const toRead = recent
    ? panels.filter(([, p]) => {
        const k = keyOf(p);
        return k !== null && d.memory.get(PANEL, k) === undefined;
      })
    : panels;
  if (sweep) {
    const enabled = toRead.filter(([, p]) => flag(getCi(p, 'IsOnline')) !== false).map(([, p]) => keyOf(p));
    await d.reader.updatePanels(
      enabled.filter((k): k is Record<string, unknown> => k !== null),
      signal,
    );
  }
  const reads = await d.reader.readAll(toRead, ([, p]) => ({ type: PANEL, key: keyOf(p), outParam }), signal);
  reads.forEach((r, i) => {
    const k = keyOf(toRead[i][1]);
    if (r && k && d.memory.put(PANEL, k, r)) out.changed.add(toRead[i][0]);
  });
  for (const [key, p] of panels) {
    const k = keyOf(p);
    const r = k ? d.memory.get(PANEL, k) : undefined;
    if (r) out.reads.set(key, r);
  }
  if (!recent) d.memory.panelPassDone();
}

/**
 * Status of one page of devices for a sync: read on a full sweep, when never read, or when their
 * panel changed; otherwise their last read (with its own read time, so a newer event wins).
 */
export async function childStatusForSync(
  d: SyncStatusDeps,
  type: string,
  rows: PropertyValueMap[],
  keyOf: KeyOf,
  outParam: string,
  sweep: boolean,
  changedPanels: Set<string>,
  signal: AbortSignal,
): Promise<Array<HardwareStatusRead | null>> {
  const keys = rows.map(keyOf);
  const need = rows.map((r, i) => {
    const k = keys[i];
    if (!k) return false;
    if (sweep || d.memory.get(type, k) === undefined) return true;
    const parent = parentKeyOf(type, r);
    return parent?.type === PANEL && changedPanels.has(parent.key);
  });
  const indexed = rows.map((_r, i) => i);
  const reads = await d.reader.readAll(indexed, (i) => (need[i] ? { type, key: keys[i], outParam } : null), signal);
  return reads.map((r, i) => {
    const k = keys[i];
    if (r && k) d.memory.put(type, k, r);
    return r ?? (k ? (d.memory.get(type, k) ?? null) : null);
  });
}
