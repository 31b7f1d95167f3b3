import { DEVICE_COMMUNICATION_STATE_GROUP, EVENT_TYPES, sourceKey, ZERO_GUID, type DeviceResourceType } from '../constants';
import type { EssEvent } from '../raw-schema';

/** Last-known state rows by source key (the collector's cache). */
export type StateLookup = { get(key: string): EssEvent | undefined };

/** Hardware communication type → the same meaning for a channel of that hardware. */
const CHANNEL_TYPE_OF: Readonly<Record<string, string>> = {
  [EVENT_TYPES.hardwareCommunicationStarted]: EVENT_TYPES.deviceCommunicationStarted,
  [EVENT_TYPES.hardwareCommunicationStopped]: EVENT_TYPES.deviceCommunicationStopped,
  [EVENT_TYPES.hardwareCommunicationError]: EVENT_TYPES.deviceCommunicationError,
};

/**
 * Polling fallback for channel groups whose subscription the server refused (a strict gateway
 * accepts only the documented resource types): their own communication state never arrives, so
 * a channel takes its hardware's communication state (subscribed in the required hardware group)
 * at every inventory and status poll. Holds only the channels of refused groups, per hardware.
 */
export class GroupFallback {
  private children = new Map<string, string[]>();
  private next = new Map<string, string[]>();

  /** During an inventory: remember a channel of a refused group under its hardware. */
  note(resourceType: DeviceResourceType, key: string, hardwareId: string | null, refused: ReadonlySet<string>): void {
    if (!hardwareId || !refused.has(resourceType)) return;
    const hw = sourceKey('hardware', hardwareId);
    const list = this.next.get(hw) ?? [];
    list.push(key);
    this.next.set(hw, list);
  }

  /** A complete inventory replaces the list. */
  commit(): void {
    this.children = this.next;
    this.next = new Map();
  }

  /** The state of a refused-group channel: its hardware's row, restated for the channel. */
  stateOf(resourceType: DeviceResourceType, key: string, hardwareId: string | null, refused: ReadonlySet<string>, states: StateLookup): EssEvent | null {
    if (!hardwareId || !refused.has(resourceType)) return null;
    const hwRow = states.get(sourceKey('hardware', hardwareId));
    return hwRow ? restate(hwRow, key) : null;
  }

  /** Rows for every remembered channel whose hardware state is known (for a status poll). */
  rows(states: StateLookup): EssEvent[] {
    const out: EssEvent[] = [];
    for (const [hw, keys] of this.children) {
      const row = states.get(hw);
      if (row) for (const k of keys) {
        const r = restate(row, k);
        if (r) out.push(r);
      }
    }
    return out;
  }
}

function restate(hwRow: EssEvent, key: string): EssEvent | null {
  const type = CHANNEL_TYPE_OF[hwRow.type.toLowerCase()];
  if (!type) return null;
  return { specversion: '1.0', id: ZERO_GUID, time: hwRow.time, type, source: key, stategroupid: DEVICE_COMMUNICATION_STATE_GROUP };
}
