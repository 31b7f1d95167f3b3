import type { Logger } from 'pino';
import { getCi } from '@edge/contracts';
import type { FailedTypeSink, TypeIsolation } from '@edge/collector-kit';
import type { OnGuardSystemConfig } from './config';
import type { OpenAccessClient } from './client/openaccess-client';
import { OpenAccessError } from './client/errors';
import type { HardwareStatusReader } from './hardware-status';
import { discoverTypes, pagedVideoRecorders, readSegments, type PageOptions, type TypeCapabilities } from './inventory';
import type { StatusMemory } from './status-memory';
import { childStatusForSync, panelStatusForSync, type SyncStatusDeps } from './sync-status';
import { endsTheSync, orderings, pagedInstancesOrdered, typeIsolation } from './type-listing';
import { nativeKeyOf, ONGUARD_TYPES, parentKeyOf, typeInfo, VIDEO_RECORDER } from './mapper/types';
import { deviceNoOf, type DeviceIndex, type IndexedDevice } from './device-index';
import type { HardwareStatusRead, OnGuardRawDeviceInput, PropertyValueMap } from './raw-schema';

export const PANEL = 'Lnl_Panel';

export interface WalkOptions {
  /** Where composed devices go; null: build the index only (a poll before any inventory). */
  emit: ((d: OnGuardRawDeviceInput) => Promise<void>) | null;
  readStatus: boolean;
  /** Where failed types are reported (the sync's writer). */
  sink?: FailedTypeSink;
}

/** What one walk shares between its steps. */
interface Walk {
  o: WalkOptions;
  signal: AbortSignal;
  page: PageOptions;
  isolation: TypeIsolation;
  caps: Map<string, TypeCapabilities>;
  segments: Map<string, string>;
  idx: DeviceIndex;
  recorders: Map<string, PropertyValueMap>;
  panelStatus: Map<string, HardwareStatusRead>;
  changedPanels: Set<string>;
  /** A full status sweep is due (readers and modules read whatever their panel says). */
  sweep: boolean;
}

function aborted(): OpenAccessError {
  return new OpenAccessError('retryable', 'onguard_aborted', 'inventory aborted');
}

/**
 * The OnGuard inventory walk: types discovered, each type paged with a stable `order_by`, panels
 * and recorders kept (they are parents), everything else streamed page by page, each device
 * composed with its panel/recorder, segment and hardware status. A type that cannot be listed
 * fails alone (the kit's `TypeIsolation`) and keeps the devices the previous index had of it.
 */
export class InventoryWalker {
  /** Segment names of the last walk that read them (kept when a later read fails). */
  private segments = new Map<string, string>();
  /** `order_by` each type was last listed with (after a server refused a better one). */
  private readonly acceptedOrder = new Map<string, string | undefined>();
  private readonly intrusionPattern: RegExp;

  constructor(
    private readonly client: OpenAccessClient,
    private readonly cfg: OnGuardSystemConfig,
    private readonly statusReader: HardwareStatusReader,
    private readonly memory: StatusMemory,
    private readonly syncStatus: SyncStatusDeps,
    private readonly log: Logger,
  ) {
    this.intrusionPattern = new RegExp(cfg.inventory.intrusion_panel_pattern, 'i');
  }

  /** Pages every configured type once, in bounded memory; returns the device index. */
  async walk(o: WalkOptions, signal: AbortSignal, previous: DeviceIndex | null): Promise<DeviceIndex> {
    const inv = this.cfg.inventory;
    const page = { pageSize: inv.page_size, signal, log: this.log };
    const isolation = typeIsolation(this.log, o.sink ?? null);
    const caps = await discoverTypes(this.client, [...new Set([...inv.types, 'Lnl_Segment'])], this.log, signal, (t, e) => isolation.add(t, e));
    for (const c of caps.values()) this.statusReader.learn(c.name, { status: c.statusMethod, update: c.updateMethod });
    const segments = await readSegments(this.client, caps, page).catch((e: unknown) => {
      if (endsTheSync(e, signal)) throw e;
      this.log.warn({ err: (e as Error).message }, 'could not read segments; locations keep the names last read');
      return this.segments;
    });
    this.segments = segments;
    // Status reads follow the audit-log plan: a full sweep when due, else panels (or their recent
    // reads) and the devices of panels that changed; other devices carry their last read.
    const w: Walk = {
      o, signal, page, isolation, caps, segments,
      idx: { panels: new Map(), children: new Map(), loose: [], builtAt: new Date().toISOString() },
      recorders: new Map(), panelStatus: new Map(), changedPanels: new Set(),
      sweep: o.readStatus && this.memory.sweepDue(),
    };
    // Recorders first: cameras need them as parents.
    if (inv.video_recorders && o.emit) await isolation.run(VIDEO_RECORDER, signal, () => this.recorders(w));
    const panelsListed = !caps.has(PANEL) || (await isolation.run(PANEL, signal, () => this.panels(w)));
    // Without a panel listing, status polls keep the panels the last inventory knew.
    if (!panelsListed && previous) for (const [k, p] of previous.panels) w.idx.panels.set(k, p);
    for (const type of inv.types) {
      if (type === PANEL || !caps.has(type)) continue;
      const listed = await this.otherType(w, type);
      if (!listed && previous) keepChildren(type, w.idx, previous);
    }
    isolation.throwIfNothingListed();
    if (w.sweep) this.memory.sweepDone();
    w.idx.builtAt = new Date().toISOString();
    return w.idx;
  }

  private keyMapOf(type: string, obj: PropertyValueMap, caps: Map<string, TypeCapabilities>): Record<string, unknown> | null {
    const out: Record<string, unknown> = {};
    for (const k of caps.get(type)?.keyProperties ?? typeInfo(type).keys) {
      const v = getCi(obj, k);
      if (v === undefined || v === null || v === '') return null;
      out[k] = v;
    }
    return out;
  }

  /** Pages a type with a stable `order_by` (its keys, §6.4), falling back as the server allows. */
  private list(type: string, w: Walk) {
    const learnt = ONGUARD_TYPES[type] ? undefined : (w.caps.get(type)?.keyProperties ?? undefined);
    const all = orderings(typeInfo(type, w.caps.get(type)?.keyProperties ?? undefined).keys);
    const from = this.acceptedOrder.has(type) ? Math.max(0, all.indexOf(this.acceptedOrder.get(type))) : 0;
    return pagedInstancesOrdered(this.client, type, (p) => nativeKeyOf(type, p, learnt), {
      ...w.page,
      orderings: all.slice(from),
      remember: (ob) => this.acceptedOrder.set(type, ob),
    });
  }

  private segmentOf(segments: Map<string, string>, id: unknown): { id: string | number; name: string | null } | null {
    if (id === undefined || id === null || id === '' || Number(id) === 0) return null;
    return { id: typeof id === 'number' ? id : String(id), name: segments.get(String(id)) ?? null };
  }

  private async recorders(w: Walk): Promise<void> {
    const live = this.cfg.recorder_is_online === 'live';
    for await (const items of pagedVideoRecorders(this.client, w.page)) {
      for (const r of items) {
        const obj = r as PropertyValueMap;
        w.recorders.set(String(r.id), obj);
        await w.o.emit?.({ native_type: VIDEO_RECORDER, object: obj, segment: this.segmentOf(w.segments, r.segment_id), hints: live ? { is_online_live: true } : {} });
      }
    }
  }

  /** Panels: kept in memory (parents of everything else); one status pass for all of them. */
  private async panels(w: Walk): Promise<void> {
    const skip = this.cfg.inventory.skip_panel_types.map((s) => s.toLowerCase());
    let skipped = 0;
    for await (const items of this.list(PANEL, w)) {
      for (const p of items) {
        const key = nativeKeyOf(PANEL, p)!;
        // Logical sources are not hardware; a recorder listed as a panel too is already a recorder.
        if (skip.includes(String(getCi(p, 'PanelType') ?? '').toLowerCase()) || w.recorders.has(key)) skipped++;
        else w.idx.panels.set(key, p);
      }
    }
    if (skipped > 0) this.log.debug({ skipped }, 'Lnl_Panel rows that are not access/intrusion hardware (logical sources, recorders) skipped');
    const panels = [...w.idx.panels.entries()];
    const cap = w.caps.get(PANEL);
    if (w.o.readStatus && cap?.hasStatusMethod)
      await panelStatusForSync(this.syncStatus, panels, (p) => this.keyMapOf(PANEL, p, w.caps), cap.statusOutParam, w.sweep, { reads: w.panelStatus, changed: w.changedPanels }, w.signal);
    for (const [key, p] of panels) {
      if (w.signal.aborted) throw aborted();
      await w.o.emit?.({
        native_type: PANEL,
        object: p,
        segment: this.segmentOf(w.segments, getCi(p, 'SegmentID')),
        hardware_status: w.panelStatus.get(key) ?? null,
        hints: { intrusion_panel: this.intrusionPattern.test(String(getCi(p, 'PanelType') ?? '')) },
      });
    }
  }

  /** Every other type streams page by page; resolves false when the type could not be listed. */
  private async otherType(w: Walk, type: string): Promise<boolean> {
    const cap = w.caps.get(type)!;
    const statusCapable = cap.hasStatusMethod && typeInfo(type, cap.keyProperties ?? undefined).statusKind !== 'none';
    // Building the index only (a poll before any inventory): types without status are not needed.
    if (!w.o.emit && !statusCapable) return true;
    const blankCameras = type === 'Lnl_Camera' && this.cfg.inventory.skip_blank_camera_names;
    let blank = 0;
    const listed = await w.isolation.run(type, w.signal, async () => {
      for await (const items of this.list(type, w)) {
        const rows = blankCameras ? items.filter((c) => String(getCi(c, 'NAME') ?? getCi(c, 'Name') ?? '').trim() !== '' || (blank++, false)) : items;
        const reads = w.o.readStatus && statusCapable ? await childStatusForSync(this.syncStatus, type, rows, (r) => this.keyMapOf(type, r, w.caps), cap.statusOutParam, w.sweep, w.changedPanels, w.signal) : [];
        for (let i = 0; i < rows.length; i++) {
          if (w.signal.aborted) throw aborted();
          await this.emitChild(w, type, cap, rows[i], reads[i] ?? null);
          if (statusCapable) this.indexChild(w, type, cap, rows[i]);
        }
      }
    });
    if (blank > 0) this.log.debug({ blank }, 'blank Lnl_Camera rows skipped');
    return listed;
  }

  private async emitChild(w: Walk, type: string, cap: TypeCapabilities, obj: PropertyValueMap, read: HardwareStatusRead | null): Promise<void> {
    const parent = parentKeyOf(type, obj);
    const panel = parent?.type === PANEL ? (w.idx.panels.get(parent.key) ?? null) : null;
    const recorder = parent?.type === VIDEO_RECORDER ? (w.recorders.get(parent.key) ?? null) : null;
    const segId = panel ? getCi(panel, 'SegmentID') : recorder ? getCi(recorder, 'segment_id') : getCi(obj, 'SegmentID');
    const other = typeInfo(type, cap.keyProperties ?? undefined).deviceType === 'other';
    await w.o.emit?.({
      native_type: type,
      object: obj,
      panel,
      recorder,
      segment: this.segmentOf(w.segments, segId),
      hardware_status: read,
      panel_status: parent?.type === PANEL ? (w.panelStatus.get(parent.key) ?? null) : null,
      hints: {
        ...(type === 'Lnl_Camera' && this.cfg.recorder_is_online === 'live' ? { is_online_live: true } : {}),
        ...(other && cap.keyProperties ? { key_properties: cap.keyProperties } : {}),
      },
    });
  }

  private indexChild(w: Walk, type: string, cap: TypeCapabilities, obj: PropertyValueMap): void {
    const keyMap = this.keyMapOf(type, obj, w.caps);
    if (!keyMap) return;
    const parent = parentKeyOf(type, obj);
    const dev: IndexedDevice = { type, keyMap, deviceNo: deviceNoOf(type, obj), outParam: cap.statusOutParam };
    if (parent?.type !== PANEL) return void w.idx.loose.push(dev);
    let xs = w.idx.children.get(parent.key);
    if (!xs) w.idx.children.set(parent.key, (xs = []));
    xs.push(dev);
  }
}

/** A type that could not be listed keeps the devices the previous index had of it. */
function keepChildren(type: string, idx: DeviceIndex, prev: DeviceIndex): void {
  for (const [panel, xs] of prev.children) {
    const kept = xs.filter((d) => d.type === type);
    if (kept.length > 0) idx.children.set(panel, [...(idx.children.get(panel) ?? []), ...kept]);
  }
  idx.loose.push(...prev.loose.filter((d) => d.type === type));
}
