import { CHILD_RESOURCE_TYPES, DEVICE_COMMUNICATION_TYPES, HARDWARE_COMMUNICATION_TYPES } from '../constants';

/** One subscription filter of `addSubscription` (§5.2). */
export interface SubscriptionFilter {
  modifier: 'include' | 'exclude';
  resourceTypes: string[];
  sourceIds: string[];
  eventTypes: string[];
}

/**
 * The subscription the collector needs: communication started/stopped/error of channels and of
 * hardware, and recording-server responding/not responding. A subscription without filters
 * yields nothing (§5.2), so there is always at least the device filter.
 * `recordingServerTypes: null` (unknown yet) subscribes to every recording-server event type so
 * that getState shows which types exist (the discovery recipe of §5.5).
 */
export function communicationFilters(o: {
  childTypes?: readonly string[];
  recordingServerTypes: string[] | null;
  includeRecordingServers: boolean;
}): SubscriptionFilter[] {
  const filters: SubscriptionFilter[] = [
    { modifier: 'include', resourceTypes: [...(o.childTypes ?? CHILD_RESOURCE_TYPES)], sourceIds: ['*'], eventTypes: [...DEVICE_COMMUNICATION_TYPES] },
    { modifier: 'include', resourceTypes: ['hardware'], sourceIds: ['*'], eventTypes: [...HARDWARE_COMMUNICATION_TYPES] },
  ];
  if (o.includeRecordingServers) {
    const types = o.recordingServerTypes === null ? ['*'] : o.recordingServerTypes;
    if (types.length > 0) filters.push({ modifier: 'include', resourceTypes: ['recordingServers'], sourceIds: ['*'], eventTypes: types });
  }
  return filters;
}
