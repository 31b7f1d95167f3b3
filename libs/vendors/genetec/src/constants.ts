import type { DeviceStatus } from '@edge/contracts';

/**
 * Security Center entity type names as the Web SDK spells them in `EntityTypes@…` and in
 * `EntityType` fields. Source: the SDK's EntityType enum as mirrored by
 * lucasquintanilla/Genetec.WebSdk (Genetec.WebSdk/Enums/EntityType.cs,
 * https://github.com/lucasquintanilla/Genetec.WebSdk): `Unit` is an access control unit,
 * `VideoUnit` a video encoder/camera body, `Role` an Archiver / Access Manager / … role.
 */
export const DEFAULT_ENTITY_TYPES = ['Server', 'Role', 'VideoUnit', 'Unit', 'Camera', 'Door'] as const;

/** Entity types that are parents of others (listed first so children can name them). */
export const PARENT_TYPES = new Set(['server', 'role', 'videounit', 'unit']);

/**
 * Status fields of an entity: `/entity/basic/{id}` returns these (Genetec DAP wiki, Web SDK
 * entity operations, https://github.com/Genetec/DAP/wiki/Web-SDK-Entity-Operations, and a
 * third-party summary of the Security Center SDK Developer Guide 5.14).
 */
export const STATUS_FIELDS = ['Guid', 'EntityType', 'IsOnline', 'RunningState', 'IsInMaintenance', 'MaintenanceReason', 'MaintenanceEndTime'] as const;

/** Identity fields every inventory projection lists (a projection returns only what it names). */
export const BASE_FIELDS = ['Guid', 'Name', 'EntityType', 'EntitySubType', 'LogicalId', 'HierarchicalParents', 'OwnerRole', ...STATUS_FIELDS.slice(2)] as const;

/**
 * Default event type → status for the connection events the collector subscribes to. Names from
 * the SDK EventType enum (lucasquintanilla/Genetec.WebSdk, Genetec.WebSdk/Enums/EventType.cs):
 * UnitConnected/UnitDisconnected, CameraSignalLost/Recovered, CameraTransmissionLost/Recovered.
 * Transmission lost is what puts a camera in Warning (Security Center Administrator Guide 5.11,
 * "Entity states", https://techdocs.genetec.com/r/en-US/Security-Center-Administrator-Guide-5.11/Entity-states)
 * → degraded. Which entity types raise which of these is inference: configurable.
 */
export const DEFAULT_EVENT_TYPES: Record<string, Record<string, Exclude<DeviceStatus, 'disabled' | 'unknown'>>> = {
  VideoUnit: { UnitConnected: 'online', UnitDisconnected: 'offline' },
  Unit: { UnitConnected: 'online', UnitDisconnected: 'offline' },
  Camera: { CameraSignalRecovered: 'online', CameraSignalLost: 'offline', CameraTransmissionLost: 'degraded', CameraTransmissionRecovered: 'online' },
};

/** Well-known path of the Web SDK role (its "Base URI" property, default `WebSdk`). */
export const DEFAULT_WEB_SDK_PATH = '/WebSdk/';

export const VENDOR = 'genetec';
