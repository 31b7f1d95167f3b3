import { z } from 'zod';

const GuidText = z.string().regex(/^[{]?[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}[}]?$/, 'must be a GUID');
const Flag = z.union([z.boolean(), z.string(), z.number()]).nullish();

/**
 * One entity as a Web SDK projection returns it (`/entity?q=entity={guid},Name,…`): only the
 * listed fields, names as the server spells them. Unknown fields pass through untouched.
 */
export const GenetecEntity = z.looseObject({
  Guid: GuidText,
  Name: z.string().nullish(),
  EntityType: z.string().min(1),
  EntitySubType: z.union([z.string(), z.number()]).nullish(),
  LogicalId: z.union([z.number(), z.string()]).nullish(),
  IsOnline: Flag,
  RunningState: z.string().nullish(),
  IsInMaintenance: Flag,
  MaintenanceReason: z.string().nullish(),
  MaintenanceEndTime: z.string().nullish(),
  HierarchicalParents: z.union([z.array(z.string()), z.string()]).nullish(),
});
export type GenetecEntity = z.infer<typeof GenetecEntity>;

/** The parent the collector resolved from HierarchicalParents (a unit, role or server of this sync). */
export const ParentRef = z.looseObject({
  Guid: GuidText,
  EntityType: z.string().min(1),
  IPAddress: z.string().nullish(),
  MacAddress: z.string().nullish(),
  Hostname: z.string().nullish(),
  Manufacturer: z.string().nullish(),
  Model: z.string().nullish(),
  FirmwareVersion: z.string().nullish(),
});
export type ParentRef = z.infer<typeof ParentRef>;

/** `device` payload: one entity plus its parent, so the mapper is a function of one message. */
export const GenetecDevicePayload = z.object({
  entity: GenetecEntity,
  parent: ParentRef.nullable(),
});
export type GenetecDevicePayload = z.infer<typeof GenetecDevicePayload>;

/**
 * One event from the `/events` stream. The stream's text/json shape is not publicly documented:
 * third-party notes say events carry `SourceEntity` and `Type`; the DAP wiki's subscription
 * answers say `EventType`. Both spellings are read; the time is the event's own (`Timestamp`).
 */
export const GenetecEvent = z.looseObject({
  EventType: z.string().min(1),
  SourceEntity: GuidText,
  Timestamp: z.string().nullish(),
  /** Offline event (raised while the source was disconnected, delivered once it is back). */
  IsOffline: Flag,
  EventId: z.union([z.string(), z.number()]).nullish(),
});
export type GenetecEvent = z.infer<typeof GenetecEvent>;

const Meaning = z.enum(['online', 'offline', 'degraded']);

/** `status` payloads: one pushed event, or a chunk of entity states read by a poll. */
export const GenetecStatusPayload = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('event'),
    event: GenetecEvent,
    /** Entity type of the source, from the collector's inventory (null: not listed yet). */
    entityType: z.string().nullable(),
    /** What the event type means (from the configured event types). */
    meaning: Meaning,
  }),
  z.object({
    kind: z.literal('state'),
    pollId: z.string().min(1),
    part: z.number().int().nonnegative(),
    reason: z.string(),
    /** When the states were read (UTC ISO): a poll's observations carry this time. */
    readAt: z.string(),
    states: z.array(GenetecEntity),
  }),
]);
export type GenetecStatusPayload = z.infer<typeof GenetecStatusPayload>;
export type GenetecStatusPayloadInput = z.input<typeof GenetecStatusPayload>;
