import { getCi, stableHash } from '@edge/contracts';
import type { RawPublisher } from '@edge/collector-kit';
import type { HardwareStatusReader } from './hardware-status';
import type { StatusMemory } from './status-memory';
import type { DeviceIndex, Target } from './device-index';
import { PANEL } from './inventory-walk';
import type { HardwareStatusRead, OnGuardRawStatusInput, PropertyValueMap, StatusRowInput } from './raw-schema';

const STATUS_BATCH = 100;

export interface StatusRead {
  via: 'poll' | 'event';
  reason: string;
  idx: DeviceIndex | null;
  signal: AbortSignal;
  /** Identifies this pass in the publishes' dedupe keys. */
  dedupePrefix: string;
}

function panelRowObject(key: string, idx: DeviceIndex): PropertyValueMap {
  const p = idx.panels.get(key);
  return p ? { ID: getCi(p, 'ID'), IsOnline: getCi(p, 'IsOnline') } : { ID: Number(key) };
}

/** Collects status rows and publishes them in batches with deterministic dedupe keys. */
class RowBatches {
  private batch: StatusRowInput[] = [];
  private no = 0;
  published = 0;

  constructor(
    private readonly raw: RawPublisher,
    private readonly r: StatusRead,
  ) {}

  push(row: StatusRowInput): void {
    this.batch.push(row);
  }

  /** Publishes when a batch is full (checked per panel row, and per chunk of other rows). */
  async flushIfFull(): Promise<void> {
    if (this.batch.length >= STATUS_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const payload: OnGuardRawStatusInput = { source: 'hardware_status', via: this.r.via, reason: this.r.reason, rows: this.batch };
    const rows = this.batch;
    this.batch = [];
    await this.raw.status(payload, `${this.r.dedupePrefix}:${this.no++}:${stableHash(rows.map((x) => `${x.native_type}:${JSON.stringify(x.object)}:${x.hardware_status?.status}`).join('|'))}`);
    this.published += rows.length;
  }
}

/**
 * Reads the status of targets and publishes it: panels first (so children carry their panel's
 * read), then the readers and modules of panels whose status changed (or every one on a sweep).
 * Returns how many rows were published.
 */
export async function readAndPublish(reader: HardwareStatusReader, memory: StatusMemory, raw: RawPublisher, targets: Target[], r: StatusRead): Promise<number> {
  const { idx, signal } = r;
  const out = new RowBatches(raw, r);
  const panelTargets = targets.filter((t) => t.type === PANEL);
  const panelReads = new Map<string, HardwareStatusRead>();
  const changedPanels = new Set<string>();
  const prs = await reader.readAll(panelTargets, (t) => ({ type: t.type, key: t.keyMap, outParam: t.outParam }), signal);
  for (let i = 0; i < panelTargets.length; i++) {
    const t = panelTargets[i];
    const read = prs[i];
    if (!read) continue;
    if (t.panelKey) panelReads.set(t.panelKey, read);
    if (memory.put(PANEL, t.keyMap, read) && t.panelKey) changedPanels.add(t.panelKey);
    out.push({ native_type: PANEL, object: t.panelKey && idx ? panelRowObject(t.panelKey, idx) : t.keyMap, hardware_status: read });
    await out.flushIfFull();
  }
  const panelProps = (key: string | null) => (key && idx ? panelRowObject(key, idx) : key ? { ID: Number(key) } : null);
  // Readers and modules of a panel whose status did not change are not read (audit-log load).
  const others = targets.filter((t) => t.type !== PANEL && (!t.secondary || (t.panelKey !== null && changedPanels.has(t.panelKey))));
  for (let off = 0; off < others.length; off += STATUS_BATCH) {
    const chunk = others.slice(off, off + STATUS_BATCH);
    const rs = await reader.readAll(chunk, (t) => ({ type: t.type, key: t.keyMap, outParam: t.outParam }), signal);
    for (let i = 0; i < chunk.length; i++) {
      const t = chunk[i];
      const read = rs[i];
      if (!read) continue;
      memory.put(t.type, t.keyMap, read);
      out.push({ native_type: t.type, object: t.keyMap, panel: panelProps(t.panelKey), hardware_status: read, panel_status: t.panelKey ? (panelReads.get(t.panelKey) ?? null) : null });
    }
    await out.flushIfFull();
  }
  await out.flush();
  return out.published;
}

/** Every panel and its devices; `sweep` false: the devices only where their panel changed. */
export function targetsOf(idx: DeviceIndex, sweep: boolean): Target[] {
  const out: Target[] = [];
  for (const [key, p] of idx.panels) {
    out.push({ type: PANEL, keyMap: { ID: getCi(p, 'ID') }, panelKey: key, outParam: 'Status' });
    for (const c of idx.children.get(key) ?? []) out.push({ type: c.type, keyMap: c.keyMap, panelKey: key, outParam: c.outParam, secondary: !sweep });
  }
  // Devices on no panel (cameras on recorders) are read on full sweeps and when an event names them.
  for (const c of idx.loose) out.push({ type: c.type, keyMap: c.keyMap, panelKey: null, outParam: c.outParam, secondary: !sweep });
  return out;
}

/** Adds a target once; a device wanted for itself (not only as its panel's child) stays wanted. */
export function mergeTarget(into: Map<string, Target>, t: Target): void {
  const k = `${t.type}:${JSON.stringify(t.keyMap)}`;
  const prev = into.get(k);
  into.set(k, prev ? { ...t, secondary: Boolean(prev.secondary && t.secondary) } : t);
}

/** Children's reasons need their panel's read: the panel of every child is added. */
export function withPanels(targets: Target[]): Target[] {
  const out = [...targets];
  const panels = new Set(targets.filter((t) => t.type === PANEL).map((t) => t.panelKey));
  for (const t of targets) {
    if (t.type !== PANEL && t.panelKey && !panels.has(t.panelKey)) {
      panels.add(t.panelKey);
      out.push({ type: PANEL, keyMap: { ID: Number(t.panelKey) }, panelKey: t.panelKey, outParam: 'Status' });
    }
  }
  return out;
}
