import { getCi } from '@edge/contracts';
import {
  discoverTypes,
  mapDevice,
  nativeKeyOf,
  OnGuardRawDevice,
  pagedInstances,
  pagedVideoRecorders,
  readSegments,
  typeInfo,
  VIDEO_RECORDER,
  type OnGuardSystemConfig,
  type OpenAccessClient,
  type TypeCapabilities,
} from '../index';
import { describeError, errorKind } from '@edge/platform';
import type { SurveyContext } from '@edge/collector-kit/survey';
import { InventoryTally } from '@edge/collector-kit/survey';

export interface WalkResult {
  tally: InventoryTally;
  caps: Map<string, TypeCapabilities>;
  /** Panels that get UpdateHardwareStatus, and devices of types that have GetHardwareStatus. */
  panels: number;
  statusCapable: number;
  refused: Array<{ what: string; reason: string }>;
  ms: number;
}

const PANEL = 'Lnl_Panel';

/**
 * Lists every configured type the way a sync does (the vendor lib's discovery and paging), maps
 * each row with the vendor mapper to count canonical types and fields. Reads only: no status
 * methods (they write audit rows), nothing published. A type the account may not list is
 * recorded with the server's reason and the walk goes on.
 */
export async function walkInventory(client: OpenAccessClient, cfg: OnGuardSystemConfig, ctx: SurveyContext): Promise<WalkResult> {
  const t0 = Date.now();
  const inv = cfg.inventory;
  const log = ctx.log;
  const tally = new InventoryTally();
  const refused: WalkResult['refused'] = [];
  const mapCtx = { vendor: 'onguard', system_id: cfg.id, site_id: ctx.siteId, customer_id: ctx.customerId, observed_at: new Date().toISOString() };
  const intrusion = new RegExp(inv.intrusion_panel_pattern, 'i');
  const add = (native_type: string, object: Record<string, unknown>, hints: Record<string, unknown>) => {
    try {
      tally.add(mapDevice(OnGuardRawDevice.parse({ native_type, object, hints }), mapCtx));
    } catch (e) {
      log.debug({ err: describeError(e), native_type }, 'row not mappable');
    }
  };
  ctx.progress('discovering types');
  // Segments too: a sync reads them for locations (their calls belong in the cost).
  const caps = await discoverTypes(client, [...new Set([...inv.types, 'Lnl_Segment'])], log);
  await listing('Lnl_Segment', refused, async () => void (await readSegments(client, caps, { pageSize: inv.page_size, log })));
  let panels = 0;
  let statusCapable = 0;
  if (inv.video_recorders) {
    ctx.progress('listing video recorders');
    await listing('video_recorders', refused, async () => {
      for await (const items of pagedVideoRecorders(client, { pageSize: inv.page_size, log })) for (const r of items) add(VIDEO_RECORDER, r as Record<string, unknown>, {});
    });
  }
  for (const type of inv.types) {
    const cap = caps.get(type);
    if (!cap) continue;
    ctx.progress(`listing ${type}`);
    const info = typeInfo(type, cap.keyProperties ?? undefined);
    const hasStatus = cap.hasStatusMethod && info.statusKind !== 'none';
    const keyOf = (p: Record<string, unknown>) => nativeKeyOf(type, p, cap.keyProperties ?? undefined);
    await listing(type, refused, async () => {
      for await (const items of pagedInstances(client, type, keyOf, { pageSize: inv.page_size, orderBy: info.keys.join(','), log })) {
        for (const obj of items) {
          const pt = String(getCi(obj, 'PanelType') ?? '');
          if (type === PANEL && inv.skip_panel_types.some((s) => s.toLowerCase() === pt.toLowerCase())) continue;
          if (type === 'Lnl_Camera' && inv.skip_blank_camera_names && String(getCi(obj, 'NAME') ?? getCi(obj, 'Name') ?? '').trim() === '') continue;
          if (type === PANEL) panels++;
          if (hasStatus) statusCapable++;
          add(type, obj, { key_properties: cap.keyProperties ?? undefined, intrusion_panel: type === PANEL ? intrusion.test(pt) : undefined });
        }
      }
    });
  }
  return { tally, caps, panels, statusCapable, refused, ms: Date.now() - t0 };
}

/** One listing; a refusal (permission, segment) or a failure of this type is recorded, not thrown. */
async function listing(what: string, refused: WalkResult['refused'], fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (errorKind(e) === 'auth' && /login|licen[cs]e|session/i.test(describeError(e))) throw e;
    refused.push({ what, reason: describeError(e) });
  }
}
