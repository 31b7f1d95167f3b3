import { CHILD_RESOURCE_TYPES, DEVICE_COMMUNICATION_TYPES, HARDWARE_COMMUNICATION_TYPES } from '../constants';

/** One subscription filter of `addSubscription` (§5.2). */
export interface SubscriptionFilter {
  modifier: 'include' | 'exclude';
  resourceTypes: string[];
  sourceIds: string[];
  eventTypes: string[];
}

/**
 * One `addSubscription` of the session. Each resource type goes in its own subscription so that
 * a server refusing one type (a strict gateway accepts the documented "hardware", "cameras",
 * "microphones", "outputs", "inputEvents", "userDefinedEvents" — Milestone's protocol samples,
 * EventsAndStateWebSocketApiPython/ess_api.py `create_subscription`) costs that group only.
 * Required groups failing fail the session; optional ones fall back to polling.
 */
export interface SubscriptionGroup {
  name: string;
  required: boolean;
  filters: SubscriptionFilter[];
}

/**
 * The subscriptions the collector needs: communication started/stopped/error of cameras and
 * hardware (required), of the other channel types (optional), and recording-server responding /
 * not responding (optional). `recordingServerTypes: null` (unknown yet) subscribes to every
 * recording-server event type so that getState shows which types exist (the discovery recipe
 * of §5.5). A subscription without filters yields nothing (§5.2), so no group is empty.
 */
export function subscriptionGroups(o: {
  childTypes?: readonly string[];
  recordingServerTypes: string[] | null;
  includeRecordingServers: boolean;
}): SubscriptionGroup[] {
  const include = (resourceType: string, eventTypes: readonly string[]): SubscriptionFilter[] => [
    { modifier: 'include', resourceTypes: [resourceType], sourceIds: ['*'], eventTypes: [...eventTypes] },
  ];
  const groups: SubscriptionGroup[] = [];
  for (const t of o.childTypes ?? CHILD_RESOURCE_TYPES) groups.push({ name: t, required: t === 'cameras', filters: include(t, DEVICE_COMMUNICATION_TYPES) });
  groups.push({ name: 'hardware', required: true, filters: include('hardware', HARDWARE_COMMUNICATION_TYPES) });
  if (o.includeRecordingServers) {
    const types = o.recordingServerTypes === null ? ['*'] : o.recordingServerTypes;
    if (types.length > 0) groups.push({ name: 'recordingServers', required: false, filters: include('recordingServers', types) });
  }
  return groups;
}

/** Every filter of the groups, as one list (what a single subscription would carry). */
export function communicationFilters(o: Parameters<typeof subscriptionGroups>[0]): SubscriptionFilter[] {
  return subscriptionGroups(o).flatMap((g) => g.filters);
}
