import { z } from 'zod';

/**
 * Shapes of what OpenAccess returns (reference §1–§5) and of what the collector publishes.
 * Vendor answers are parsed leniently (unknown keys kept, spec-vs-server differences tolerated);
 * the composed raw payloads are the contract between the collector and the pure mapper.
 */

/** Key casing varies by type and version: keys are read case-insensitively (getCi). */
export const PropertyValueMap = z.record(z.string(), z.unknown());
export type PropertyValueMap = z.infer<typeof PropertyValueMap>;

const Int = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform((v) => Number(v));

// ---------------------------------------------------------------- OpenAccess answers

export const OpenAccessErrorBody = z.looseObject({
  error: z.looseObject({ code: z.string().min(1), message: z.string().optional().nullable() }),
  version: z.string().optional(),
});
export type OpenAccessErrorBody = z.infer<typeof OpenAccessErrorBody>;

export const VersionResponse = z.looseObject({
  product_name: z.string().optional(),
  product_version: z.string().optional(),
  version: z.string().optional(),
});

export const LoginResponse = z.looseObject({
  session_token: z.string().min(1),
  token_expiration_time: z.string().optional().nullable(),
  password_expiration_time: z.string().optional().nullable(),
  version: z.string().optional(),
});
export type LoginResponse = z.infer<typeof LoginResponse>;

export const SessionResponse = z.looseObject({
  token_expiration_time: z.string().optional().nullable(),
  token_start_time: z.string().optional().nullable(),
  user_id: z.union([z.string(), z.number()]).optional().nullable(),
});

export const PasswordPolicyResponse = z.looseObject({
  is_inactivity_timeout_policy_enabled: z.boolean().optional().nullable(),
  inactivity_timeout_in_minutes: z.number().optional().nullable(),
});

/** `{ item_list: [{ property_value_map }] }`: `/instances` and `/directories`. */
export const InstanceItem = z.looseObject({ property_value_map: PropertyValueMap, type_name: z.string().optional() });

/**
 * PagedInstances (§2.2). `count`, `total_pages` may be absent on odd servers; `type_name` may be
 * at the top or inside items: relied on nowhere.
 */
export const PagedInstances = z.looseObject({
  count: Int.optional(),
  /** Items are checked one by one (InstanceItem), so one malformed row does not sink its page. */
  item_list: z.array(z.unknown()).nullable().default([]),
  page_number: Int.optional(),
  page_size: Int.optional(),
  total_items: Int.optional(),
  total_pages: Int.optional(),
  type_name: z.string().optional(),
});
export type PagedInstances = z.infer<typeof PagedInstances>;

/** `/video_recorders` items are flat objects (no property_value_map wrapper) (§3). */
export const VideoRecorderItem = z.looseObject({
  id: z.union([z.number(), z.string()]),
  name: z.string().nullable().optional(),
  computer_name: z.string().nullable().optional(),
  primary_ip_address: z.union([z.number(), z.string()]).nullable().optional(),
  is_online: z.union([z.boolean(), z.number(), z.string()]).nullable().optional(),
  panel_type_name: z.string().nullable().optional(),
  segment_id: z.union([z.number(), z.string()]).nullable().optional(),
  workstation: z.string().nullable().optional(),
});
export type VideoRecorderItem = z.infer<typeof VideoRecorderItem>;

export const PagedVideoRecorders = z.looseObject({
  count: Int.optional(),
  item_list: z.array(VideoRecorderItem).nullable().default([]),
  page_number: Int.optional(),
  page_size: Int.optional(),
  total_items: Int.optional(),
  total_pages: Int.optional(),
});

export const CountResponse = z.looseObject({ total_items: Int });

export const TypeProperty = z.looseObject({
  name: z.string().min(1),
  type: z.string().optional().nullable(),
  is_key: z.boolean().optional().nullable(),
});
export const TypeMethod = z.looseObject({
  name: z.string().min(1),
  in_parameters: z.array(z.looseObject({ name: z.string(), type: z.string().optional().nullable() })).nullable().default([]),
  out_parameters: z.array(z.looseObject({ name: z.string(), type: z.string().optional().nullable() })).nullable().default([]),
});
/** `GET /type?type_name=` (§2.4). */
export const TypeSchema = z.looseObject({
  type_name: z.string().optional(),
  properties: z.array(TypeProperty).nullable().default([]),
  methods: z.array(TypeMethod).nullable().default([]),
});
export type TypeSchema = z.infer<typeof TypeSchema>;

/** `GET /types`: the inner shape of `types` is not public (§2.4 [I]); it is walked for type names. */
export const TypesResponse = z.looseObject({ total_items: Int.optional(), types: z.unknown() });

export const ExecuteMethodResponse = z.looseObject({
  out_parameter_value_map: PropertyValueMap.nullable().default({}),
});

export const EventSubscription = z.looseObject({
  id: z.union([z.number(), z.string()]),
  description: z.string().nullable().optional(),
  filter: z.string().nullable().optional(),
  is_durable: z.boolean().nullable().optional(),
});
export type EventSubscription = z.infer<typeof EventSubscription>;

// ---------------------------------------------------------------- composed raw payloads

/** One `GetHardwareStatus` result as the collector read it. */
export const HardwareStatusRead = z.object({
  /** Out-parameter `Status`; null when it could not be read (see `error`). */
  status: z.number().int().nullable(),
  read_at: z.string().min(1),
  error: z.string().nullable().default(null),
});
export type HardwareStatusRead = z.infer<typeof HardwareStatusRead>;

/** What the collector learned from config and the type catalogue that the mapper cannot know. */
export const RawHints = z
  .object({
    /** The panel row is an intrusion controller (PanelType matched the configured pattern). */
    intrusion_panel: z.boolean().optional(),
    /** `/video_recorders` `is_online` is the live state rather than the enable flag (config). */
    is_online_live: z.boolean().optional(),
    /** Key properties of a type the mapper has no table entry for (from `GET /type`). */
    key_properties: z.array(z.string()).optional(),
  })
  .default({});

export const SegmentRef = z.object({ id: z.union([z.number(), z.string()]), name: z.string().nullable() });

/**
 * A `device` envelope payload: the device's own object plus the related objects its mapping
 * needs, so the mapper is a pure function of one message (ARCHITECTURE §4.3).
 */
export const OnGuardRawDevice = z.object({
  /** `Lnl_*` type name, or `video_recorder` for `/video_recorders` items. */
  native_type: z.string().min(1),
  /** The `property_value_map` (or the flat recorder item), untouched. */
  object: PropertyValueMap,
  /** Parent `Lnl_Panel` property map (readers, modules, intrusion devices). */
  panel: PropertyValueMap.nullable().default(null),
  /** Parent recorder (cameras): the `/video_recorders` item. */
  recorder: PropertyValueMap.nullable().default(null),
  segment: SegmentRef.nullable().default(null),
  hardware_status: HardwareStatusRead.nullable().default(null),
  /** The parent panel's status read of the same pass (says why a child is offline). */
  panel_status: HardwareStatusRead.nullable().default(null),
  hints: RawHints,
});
export type OnGuardRawDevice = z.infer<typeof OnGuardRawDevice>;
export type OnGuardRawDeviceInput = z.input<typeof OnGuardRawDevice>;

/** One device's status in a status payload; `object` holds at least the key properties. */
export const StatusRow = z.object({
  native_type: z.string().min(1),
  object: PropertyValueMap,
  panel: PropertyValueMap.nullable().default(null),
  hardware_status: HardwareStatusRead.nullable(),
  panel_status: HardwareStatusRead.nullable().default(null),
  hints: RawHints,
});
export type StatusRow = z.infer<typeof StatusRow>;
export type StatusRowInput = z.input<typeof StatusRow>;

/** Status read with GetHardwareStatus: a poll, a reconcile, or the confirmation of an event. */
export const HardwareStatusPayload = z.object({
  source: z.literal('hardware_status'),
  via: z.enum(['poll', 'event']),
  reason: z.string().default(''),
  rows: z.array(StatusRow).min(1),
});

/** A hardware event from the Web Event Bridge that says lost/restored outright (§5.5). */
export const BridgeEventPayload = z.object({
  source: z.literal('event'),
  /** The `OnBusinessEventReceived` dictionary, untouched. */
  event: z.record(z.string(), z.unknown()),
  /** What the collector read from it with the configured field names and texts. */
  resolved: z.object({
    native_type: z.string().min(1),
    object: PropertyValueMap,
    status: z.enum(['online', 'offline']),
    /** Event time in UTC ISO, null when the event carried none. */
    timestamp: z.string().nullable(),
    description: z.string().nullable(),
    native_event_id: z.string().nullable(),
  }),
});

export const OnGuardRawStatus = z.discriminatedUnion('source', [HardwareStatusPayload, BridgeEventPayload]);
export type OnGuardRawStatus = z.infer<typeof OnGuardRawStatus>;
export type OnGuardRawStatusInput = z.input<typeof OnGuardRawStatus>;
