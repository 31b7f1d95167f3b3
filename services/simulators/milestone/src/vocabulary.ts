/**
 * GUIDs and names the simulator speaks, transcribed from milestone-xprotect.md §4/§5.5 on
 * their own (not imported from the collector, so a wrong constant there fails a test here).
 * Recording-server responding / not responding GUIDs are not public: these are the
 * simulator's own, discoverable through /eventTypes and /stateGroups like a real install's.
 */
export const T = {
  deviceStarted: 'dd3e6464-7dc0-405a-a92f-6150587563e8',
  deviceStopped: '0ee90664-2924-42a0-a816-4129d0ecabdc',
  deviceError: 'a334af1c-4b4b-4957-9e5f-ab8ca07feab6',
  hardwareStarted: '0553c396-5e16-4c22-b3d1-f548e42dfbb4',
  hardwareStopped: '63ea1f06-5a83-4f39-9fab-49959fde7b66',
  hardwareError: '6baad64b-c395-4f52-b6a3-dd1b64aa2f0f',
  recordingStarted: '4577f552-765a-438c-bc7d-e5ff1f754bc3',
  recordingStopped: '79a94f89-92de-4fca-8a43-5561d407423d',
  motionStarted: '6eb95dd6-7ccc-4bce-99f8-af0d0b582d77',
  motionStopped: '6f55a7a7-d21c-4629-ac18-af1975e395a2',
  // Simulator-chosen (not public): recording server state.
  rsResponding: '5f1e2c3d-0a4b-4c6d-8e9f-7a1b2c3d4e01',
  rsNotResponding: '5f1e2c3d-0a4b-4c6d-8e9f-7a1b2c3d4e02',
} as const;

export const G = {
  deviceCommunication: '53b40c77-cf48-42a2-a432-db65ae3afc7a',
  recording: '15f76bad-f660-448f-9e1c-0539d3f54f71',
  motion: '720ef62a-78be-418a-8e4c-ee04ffca6429',
  // Simulator-chosen (hardware communication and recording-server groups are not public).
  hardwareCommunication: '5f1e2c3d-0a4b-4c6d-8e9f-7a1b2c3d4e10',
  recordingServerState: '5f1e2c3d-0a4b-4c6d-8e9f-7a1b2c3d4e11',
  cpuUsage: '8c958201-aa02-40cf-a643-fa7f91d0bed2',
} as const;

export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

export const CHILD_TYPES = ['cameras', 'microphones', 'speakers', 'metadata', 'inputEvents', 'outputs'] as const;
export type ChildType = (typeof CHILD_TYPES)[number];
export type DeviceType = 'recordingServers' | 'hardware' | ChildType;

/** Canonical device type the platform maps each collection to (ARCHITECTURE §4.1). */
export const CANONICAL: Record<DeviceType, string> = {
  recordingServers: 'recorder',
  hardware: 'other',
  cameras: 'camera',
  microphones: 'microphone',
  speakers: 'speaker',
  metadata: 'other',
  inputEvents: 'input',
  outputs: 'output',
};

export type Comm = 'started' | 'stopped' | 'error';
export type RsState = 'responding' | 'notResponding';

const EVENT_TYPE_GROUP_DEVICE = '1ae79228-ad07-4e56-be43-5ebf9b7c54a5';
const EVENT_TYPE_GROUP_SYSTEM = '5f1e2c3d-0a4b-4c6d-8e9f-7a1b2c3d4e20';

interface EventTypeDef {
  id: string;
  name: string;
  displayName: string;
  state: string;
  stateGroupId: string;
  sourceArray: string[];
  counterEventID: string;
  group: string;
  recordingServer?: boolean;
}

const DEVICE_SOURCES = ['Camera', 'Microphone', 'Speaker', 'Metadata', 'InputEvent', 'Output'];

export const EVENT_TYPE_DEFS: EventTypeDef[] = [
  { id: T.deviceStarted, name: 'CommunicationStarted', displayName: 'Communication Started', state: 'Communication Started', stateGroupId: G.deviceCommunication, sourceArray: DEVICE_SOURCES, counterEventID: T.deviceError, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.deviceStopped, name: 'CommunicationStopped', displayName: 'Communication Stopped', state: 'Communication Stopped', stateGroupId: G.deviceCommunication, sourceArray: DEVICE_SOURCES, counterEventID: T.deviceStarted, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.deviceError, name: 'CommunicationError', displayName: 'Communication Error', state: 'Communication Error', stateGroupId: G.deviceCommunication, sourceArray: DEVICE_SOURCES, counterEventID: T.deviceStarted, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.hardwareStarted, name: 'HardwareCommunicationStarted', displayName: 'Communication Started (Hardware)', state: 'Communication Started', stateGroupId: G.hardwareCommunication, sourceArray: ['Hardware'], counterEventID: T.hardwareError, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.hardwareStopped, name: 'HardwareCommunicationStopped', displayName: 'Communication Stopped (Hardware)', state: 'Communication Stopped', stateGroupId: G.hardwareCommunication, sourceArray: ['Hardware'], counterEventID: T.hardwareStarted, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.hardwareError, name: 'HardwareCommunicationError', displayName: 'Communication Error (Hardware)', state: 'Communication Error', stateGroupId: G.hardwareCommunication, sourceArray: ['Hardware'], counterEventID: T.hardwareStarted, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.recordingStarted, name: 'RecordingStarted', displayName: 'Recording Started', state: 'Recording', stateGroupId: G.recording, sourceArray: ['Camera'], counterEventID: T.recordingStopped, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.recordingStopped, name: 'RecordingStopped', displayName: 'Recording Stopped', state: 'Not Recording', stateGroupId: G.recording, sourceArray: ['Camera'], counterEventID: T.recordingStarted, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.motionStarted, name: 'MotionStarted', displayName: 'Motion Started', state: 'Motion', stateGroupId: G.motion, sourceArray: ['Camera', 'CameraGroup'], counterEventID: T.motionStopped, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.motionStopped, name: 'MotionStopped', displayName: 'Motion Stopped', state: 'No Motion', stateGroupId: G.motion, sourceArray: ['Camera', 'CameraGroup'], counterEventID: T.motionStarted, group: EVENT_TYPE_GROUP_DEVICE },
  { id: T.rsResponding, name: 'RecordingServerResponding', displayName: 'Recording Server Responding', state: 'Responding', stateGroupId: G.recordingServerState, sourceArray: ['RecordingServer'], counterEventID: T.rsNotResponding, group: EVENT_TYPE_GROUP_SYSTEM, recordingServer: true },
  { id: T.rsNotResponding, name: 'RecordingServerNotResponding', displayName: 'Recording Server Not Responding', state: 'Not Responding', stateGroupId: G.recordingServerState, sourceArray: ['RecordingServer'], counterEventID: T.rsResponding, group: EVENT_TYPE_GROUP_SYSTEM, recordingServer: true },
];

/** REST shape of an event type (milestone-xprotect.md §3.4 "Event type"). */
export function eventTypeObject(d: EventTypeDef): Record<string, unknown> {
  return {
    displayName: d.displayName,
    id: d.id,
    name: d.name,
    generatorType: 'System',
    generatorSubtype: d.recordingServer ? 'Server' : 'Device',
    generatorName: d.recordingServer ? 'Recording Server' : 'Device',
    generatorID: '00000000-0000-0000-0000-000000000000',
    generatorGroupName: d.recordingServer ? 'System Events' : 'Device - Predefined',
    generatorGroupId: d.group,
    occursGlobally: false,
    builtIn: true,
    counterEventID: d.counterEventID,
    sourceArray: d.sourceArray,
    sourceFilterArray: d.sourceArray.map(() => ''),
    stateGroupId: d.stateGroupId,
    state: d.state,
    relations: { parent: { type: 'eventTypeGroups', id: d.group }, self: { type: 'eventTypes', id: d.id } },
  };
}

export const STATE_GROUP_DEFS: Array<{ id: string; name: string; states: string[]; recordingServer?: boolean }> = [
  { id: G.deviceCommunication, name: 'Communication', states: ['Communication Started', 'Communication Stopped', 'Communication Error'] },
  { id: G.hardwareCommunication, name: 'Hardware Communication', states: ['Communication Started', 'Communication Stopped', 'Communication Error'] },
  { id: G.recording, name: 'Recording', states: ['Recording', 'Not Recording'] },
  { id: G.motion, name: 'Motion', states: ['Motion', 'No Motion'] },
  { id: G.recordingServerState, name: 'Recording Server State', states: ['Responding', 'Not Responding'], recordingServer: true },
  { id: G.cpuUsage, name: 'CPU usage', states: ['Normal', 'Warning', 'Critical', 'Undefined'] },
];

export const EVENT_TYPE_GROUPS = [
  { displayName: 'Device - Predefined', relations: { self: { type: 'eventTypeGroups', id: EVENT_TYPE_GROUP_DEVICE } } },
  { displayName: 'System Events', relations: { self: { type: 'eventTypeGroups', id: EVENT_TYPE_GROUP_SYSTEM } } },
];
