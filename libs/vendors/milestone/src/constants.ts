/**
 * Identifiers of the XProtect API Gateway that are built-in constants (milestone-xprotect.md
 * §5.5, official protocol samples). Pure data: the mapper, the clients and the collector share it.
 */

/** Built-in event type GUIDs (lower-case as they appear in JSON). */
export const EVENT_TYPES = {
  deviceCommunicationStarted: 'dd3e6464-7dc0-405a-a92f-6150587563e8',
  deviceCommunicationStopped: '0ee90664-2924-42a0-a816-4129d0ecabdc',
  deviceCommunicationError: 'a334af1c-4b4b-4957-9e5f-ab8ca07feab6',
  hardwareCommunicationStarted: '0553c396-5e16-4c22-b3d1-f548e42dfbb4',
  hardwareCommunicationStopped: '63ea1f06-5a83-4f39-9fab-49959fde7b66',
  hardwareCommunicationError: '6baad64b-c395-4f52-b6a3-dd1b64aa2f0f',
} as const;

export const DEVICE_COMMUNICATION_TYPES = [
  EVENT_TYPES.deviceCommunicationStarted,
  EVENT_TYPES.deviceCommunicationStopped,
  EVENT_TYPES.deviceCommunicationError,
] as const;

export const HARDWARE_COMMUNICATION_TYPES = [
  EVENT_TYPES.hardwareCommunicationStarted,
  EVENT_TYPES.hardwareCommunicationStopped,
  EVENT_TYPES.hardwareCommunicationError,
] as const;

/** What a communication event type means for the device it is about. */
export type CommunicationMeaning = 'started' | 'stopped' | 'error';

export const COMMUNICATION_MEANING: Readonly<Record<string, CommunicationMeaning>> = {
  [EVENT_TYPES.deviceCommunicationStarted]: 'started',
  [EVENT_TYPES.deviceCommunicationStopped]: 'stopped',
  [EVENT_TYPES.deviceCommunicationError]: 'error',
  [EVENT_TYPES.hardwareCommunicationStarted]: 'started',
  [EVENT_TYPES.hardwareCommunicationStopped]: 'stopped',
  [EVENT_TYPES.hardwareCommunicationError]: 'error',
};

/** State group of device communication seen in real getState dumps (REAL S8). */
export const DEVICE_COMMUNICATION_STATE_GROUP = '53b40c77-cf48-42a2-a432-db65ae3afc7a';

/** `id` of every getState row: never a resume point. */
export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** Child device collections under a hardware, in the order the inventory walks them. */
export const CHILD_RESOURCE_TYPES = ['cameras', 'microphones', 'speakers', 'metadata', 'inputEvents', 'outputs'] as const;
export type ChildResourceType = (typeof CHILD_RESOURCE_TYPES)[number];

/** Every resource type that becomes a canonical device. */
export const DEVICE_RESOURCE_TYPES = ['recordingServers', 'hardware', ...CHILD_RESOURCE_TYPES] as const;
export type DeviceResourceType = (typeof DEVICE_RESOURCE_TYPES)[number];

const BY_LOWER = new Map<string, DeviceResourceType>(DEVICE_RESOURCE_TYPES.map((t) => [t.toLowerCase(), t]));

/**
 * The canonical spelling of a REST collection name (`Cameras`, `inputevents` → `cameras`,
 * `inputEvents`); null for collections that are not devices. Casing varies across sources.
 */
export function deviceResourceType(name: unknown): DeviceResourceType | null {
  if (typeof name !== 'string') return null;
  return BY_LOWER.get(name.trim().toLowerCase()) ?? null;
}

/** `cameras/<guid>` → { resourceType, id } (id lower-cased); null when not a device source. */
export function parseSource(source: unknown): { resourceType: DeviceResourceType; id: string } | null {
  if (typeof source !== 'string') return null;
  const m = /^\s*([A-Za-z]+)\/([0-9A-Fa-f-]{36})\s*$/.exec(source);
  if (!m) return null;
  const resourceType = deviceResourceType(m[1]);
  return resourceType ? { resourceType, id: m[2].toLowerCase() } : null;
}

/** `cameras/<guid>` in canonical casing, the key the collector indexes state and context by. */
export function sourceKey(resourceType: DeviceResourceType, id: string): string {
  return `${resourceType}/${id.toLowerCase()}`;
}
