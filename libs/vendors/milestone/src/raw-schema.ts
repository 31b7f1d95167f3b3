import { z } from 'zod';
import { DEVICE_RESOURCE_TYPES } from './constants';

/**
 * Zod schemas of what the Milestone collector publishes to RAW: one composed device per
 * `device` envelope (the item with the related objects its mapping needs), and status payloads
 * (stream events, getState rows, recording-server probes). The vendor's own objects pass
 * through untouched (loose objects); only what mapping reads is validated. Shapes follow
 * milestone-xprotect.md §3–§5.
 */

/** `true`/`false` also as the strings older versions emit. */
const BoolLike = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  if (/^true$/i.test(v.trim())) return true;
  if (/^false$/i.test(v.trim())) return false;
  return v;
}, z.boolean());

/** Reference `{type, id}` used by `relations` and path-typed properties. */
export const Ref = z.looseObject({ type: z.string(), id: z.string() });
export type Ref = z.infer<typeof Ref>;

export const Relations = z.looseObject({ self: Ref.optional(), parent: Ref.optional() });

/**
 * Any Configuration REST object. Some resources carry no top-level `id`; it is then
 * `relations.self.id` (milestone-xprotect.md §3.4).
 */
const ItemBase = z.looseObject({
  id: z.string().min(1).optional(),
  name: z.string().nullish(),
  displayName: z.string().nullish(),
  description: z.string().nullish(),
  enabled: BoolLike.optional(),
  lastModified: z.string().nullish(),
  relations: Relations.optional(),
});
const hasId = (o: { id?: string; relations?: { self?: { id: string } } }) => Boolean(o.id ?? o.relations?.self?.id);
const NO_ID = 'object has neither "id" nor "relations.self.id"';

export const ConfigItem = ItemBase.refine(hasId, NO_ID);
export type ConfigItem = z.infer<typeof ConfigItem>;

/** Id of a config object: `id`, else `relations.self.id`; lower-case (GUIDs compare case-insensitively). */
export function itemId(o: { id?: string; relations?: { self?: { id: string } } }): string {
  return (o.id ?? o.relations?.self?.id ?? '').toLowerCase();
}

export const Hardware = ItemBase.extend({
  /** URL-shaped in real data (`http://192.168.1.154:8554/`), sometimes bare. */
  address: z.string().nullish(),
  model: z.string().nullish(),
  hardwareDriverPath: Ref.nullish(),
}).refine(hasId, NO_ID);
export type Hardware = z.infer<typeof Hardware>;

export const RecordingServer = ItemBase.extend({
  hostName: z.string().nullish(),
  portNumber: z.union([z.number(), z.string()]).nullish(),
  webServerUri: z.string().nullish(),
}).refine(hasId, NO_ID);
export type RecordingServer = z.infer<typeof RecordingServer>;

export const Site = z.looseObject({
  id: z.string().optional(),
  name: z.string().nullish(),
  displayName: z.string().nullish(),
  version: z.string().nullish(),
});
export type Site = z.infer<typeof Site>;

/**
 * One event of the Events and State WebSocket API, also the shape of a getState row (then `id`
 * is the all-zero GUID). Field names are lower-case on the socket (`stategroupid`).
 */
export const EssEvent = z.looseObject({
  specversion: z.string().optional(),
  id: z.string().min(1),
  time: z.string().min(1),
  type: z.string().min(1),
  source: z.string().min(1),
  stategroupid: z.string().nullish(),
  data: z.unknown().optional(),
});
export type EssEvent = z.infer<typeof EssEvent>;

/**
 * Event types of recording-server responding / not responding. Not public constants (§5.5):
 * discovered at runtime or configured, so the collector ships them with each payload.
 */
export const RecordingServerTypes = z.object({
  responding: z.array(z.string()).default([]),
  notResponding: z.array(z.string()).default([]),
});
export type RecordingServerTypes = z.infer<typeof RecordingServerTypes>;

/** Result of the fallback reachability probe of a recording server. */
export const RecordingServerProbe = z.object({
  recordingServerId: z.string().min(1),
  /** `host:port` that was probed. */
  target: z.string(),
  responding: z.boolean(),
  probedAt: z.string().min(1),
  error: z.string().nullish(),
  /** Set when the probe cannot tell up from down (host does not resolve, never reached from here): the status is `unknown` with this reason. */
  unknownReason: z.string().nullish(),
});
export type RecordingServerProbe = z.infer<typeof RecordingServerProbe>;

/**
 * What the collector knew when it published a status payload: recording-server event types,
 * and which sources are disabled in configuration (a Communication Stopped of a disabled device
 * means `disabled`, of an enabled one `offline`).
 */
export const StatusContext = z.object({
  recordingServerTypes: RecordingServerTypes.default({ responding: [], notResponding: [] }),
  disabledSources: z.array(z.string()).default([]),
});
export type StatusContext = z.infer<typeof StatusContext>;

/** `device` envelope payload: one device composed with what its mapping needs. */
export const MilestoneDevicePayload = z.object({
  resourceType: z.enum(DEVICE_RESOURCE_TYPES),
  item: ConfigItem,
  /** The hardware a child device belongs to (for hardware itself: null). */
  hardware: Hardware.nullable().default(null),
  /** Inner object of `GET /hardware/{id}/hardwareDriverSettings` (MAC, firmware, serial), untouched. */
  driverSettings: z.record(z.string(), z.unknown()).nullable().default(null),
  recordingServer: RecordingServer.nullable().default(null),
  site: Site.nullable().default(null),
  /** Camera-group path (`Building A/Floor 2`) — the device's location folder. */
  location: z.string().nullable().default(null),
  /** Latest communication state row or event of this device known to the collector. */
  state: EssEvent.nullable().default(null),
  /** Latest reachability probe (recording servers, when their event types are unknown). */
  probe: RecordingServerProbe.nullable().default(null),
  recordingServerTypes: RecordingServerTypes.default({ responding: [], notResponding: [] }),
});
export type MilestoneDevicePayload = z.infer<typeof MilestoneDevicePayload>;
export type MilestoneDevicePayloadInput = z.input<typeof MilestoneDevicePayload>;

/** `status` envelope payloads. */
export const MilestoneStatusPayload = z.discriminatedUnion('kind', [
  /** One event pushed on the WebSocket. */
  z.object({ kind: z.literal('event'), event: EssEvent, context: StatusContext.default({ recordingServerTypes: { responding: [], notResponding: [] }, disabledSources: [] }) }),
  /** One chunk of a getState reply (baseline or repair poll). */
  z.object({
    kind: z.literal('state'),
    baselineId: z.string().min(1),
    part: z.number().int().nonnegative(),
    parts: z.number().int().positive(),
    reason: z.string().default(''),
    states: z.array(EssEvent),
    context: StatusContext.default({ recordingServerTypes: { responding: [], notResponding: [] }, disabledSources: [] }),
  }),
  /** Fallback reachability probe of one recording server. */
  z.object({ kind: z.literal('probe'), probe: RecordingServerProbe }),
  /** No live state for these sources (`cameras/<guid>`), and why (e.g. the server predates the Events and State API). */
  z.object({ kind: z.literal('unavailable'), reason: z.string().min(1), observedAt: z.string().min(1), sources: z.array(z.string().min(1)) }),
]);
export type MilestoneStatusPayload = z.infer<typeof MilestoneStatusPayload>;
export type MilestoneStatusPayloadInput = z.input<typeof MilestoneStatusPayload>;
