import { CANONICAL, CHILD_TYPES, G, T, type ChildType, type Comm, type DeviceType, type RsState } from './vocabulary';

/** Size and shape of the generated XProtect site. */
export interface SiteShape {
  seed: number;
  recordingServers: number;
  hardware: number;
  cameras: number;
  microphones: number;
  speakers: number;
  metadata: number;
  inputs: number;
  outputs: number;
  /** Share of hardware and of channels generated disabled. */
  disabledRatio: number;
  version: string;
  /** Port of each recording server's web endpoint (probe target); null → unreachable host name. */
  rsPorts: Array<number | null>;
}

/** The truth a canonical device built from this simulator should carry (for end-to-end checks). */
export interface DeviceTruth {
  resource_type: DeviceType;
  id: string;
  /** `<resource type>:<guid>` — the canonical id is `milestone:<system_id>:<key>`. */
  key: string;
  type: string;
  name: string;
  enabled: boolean;
  ip: string | null;
  mac: string | null;
  hostname: string | null;
  location: string | null;
  parent: { resource_type: DeviceType; id: string; key: string } | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  expected_status: 'online' | 'offline' | 'disabled';
}

export interface SimDevice {
  type: DeviceType;
  id: string;
  /** The REST object as the gateway returns it (numbers as numbers; the server may stringify). */
  obj: Record<string, unknown>;
  enabled: boolean;
  parent: { type: DeviceType; id: string } | null;
  truth: Pick<DeviceTruth, 'ip' | 'mac' | 'hostname' | 'model' | 'firmware' | 'serial'>;
}

export interface CameraGroup {
  id: string;
  parentId: string | null;
  path: string;
  obj: Record<string, unknown>;
  cameraIds: string[];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** .NET-style timestamp with 7 fractional digits (`2023-08-29T19:10:05.8970000Z`). */
export function dotnetTime(ms: number, extra = 0): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${String(Math.floor(extra) % 10000).padStart(4, '0')}Z`;
}

/** Same instant written with a `-05:00` offset (some installs emit offsets, §3.4). */
function offsetTime(ms: number): string {
  const local = new Date(ms - 5 * 3600_000).toISOString();
  return `${local.slice(0, 19)}.${local.slice(20, 23)}0000-05:00`;
}

const MODELS = ['AXIS P3245-LVE', 'Hanwha XNV-6080R', 'Bosch FLEXIDOME IP 5000i', 'Universal1ChAdv', 'AXIS M3106-L Mk II', 'Hikvision DS-2CD2143G2'];

/**
 * The generated site: objects in the reference's shapes, plus their live state. Deterministic
 * for a seed. Built to hold ≥ 5 000 hardware / 10 000 cameras comfortably in memory.
 */
export class SiteModel {
  readonly rand: () => number;
  readonly site: Record<string, unknown>;
  readonly siteId: string;
  readonly recordingServers: SimDevice[] = [];
  readonly hardware: SimDevice[] = [];
  readonly children: Record<ChildType, SimDevice[]> = { cameras: [], microphones: [], speakers: [], metadata: [], inputEvents: [], outputs: [] };
  readonly byKey = new Map<string, SimDevice>();
  /** `hardwareDriverSettings` array entry per hardware id. */
  readonly driverSettings = new Map<string, Record<string, unknown>>();
  readonly groups: CameraGroup[] = [];
  readonly childrenOf = new Map<string, string[]>();
  readonly groupOfHardware = new Map<string, CameraGroup>();
  readonly storages = new Map<string, Record<string, unknown>[]>();
  /** Communication state of hardware and channels (key `type/id`). */
  readonly comm = new Map<string, { state: Comm; time: string }>();
  readonly rsState = new Map<string, { state: RsState; time: string }>();
  /** Recording / motion state of cameras (only visible to wide subscriptions). */
  readonly cameraAux = new Map<string, { recording: string; motion: string; time: string }>();

  constructor(readonly shape: SiteShape) {
    this.rand = mulberry32(shape.seed);
    const now = Date.now();
    this.siteId = this.guid();
    this.site = {
      displayName: 'XPCO-MS-01',
      id: this.siteId,
      name: 'XPCO-MS-01',
      description: 'Simulated XProtect management server',
      lastModified: dotnetTime(now - 86_400_000, 1234),
      timeZone: 'Central Standard Time',
      computerName: 'XPCO-MS-01',
      domainName: 'corp.example',
      lastStatusHandshake: dotnetTime(now - 5_000, 4567),
      physicalMemory: 34359738368,
      platform: '[OS] Microsoft Windows Server 2022 Standard',
      processors: 8,
      serviceAccount: 'NT AUTHORITY\\NETWORK SERVICE',
      synchronizationStatus: 200,
      masterSiteAddress: '',
      version: shape.version,
      relations: { self: { type: 'sites', id: this.siteId } },
    };
    this.generate(now);
  }

  guid(): string {
    const b: number[] = [];
    for (let i = 0; i < 16; i++) b.push(Math.floor(this.rand() * 256));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private add(d: SimDevice): void {
    this.byKey.set(`${d.type}/${d.id}`, d);
  }

  private generate(now: number): void {
    const s = this.shape;
    const stamp = (i: number) => (i % 9 === 4 ? offsetTime(now - i * 60_000) : dotnetTime(now - i * 60_000, i * 7));
    // Recording servers.
    for (let r = 0; r < s.recordingServers; r++) {
      const id = this.guid();
      const host = `rs-${String(r + 1).padStart(2, '0')}`;
      const port = s.rsPorts[r] ?? null;
      const web = port ? `http://127.0.0.1:${port}/` : `http://${host}:7563/`;
      const obj = {
        displayName: host.toUpperCase(),
        enabled: true,
        id,
        name: host.toUpperCase(),
        description: `XProtect Recording Server ${host.toUpperCase()}.`,
        lastModified: stamp(r),
        synchronizationTime: -1,
        timeZoneName: 'Central Standard Time',
        hostName: host,
        portNumber: 7563,
        webServerUri: web,
        activeWebServerUri: '',
        publicAccessEnabled: false,
        publicWebserverHostName: '',
        publicWebserverPort: 0,
        multicastServerAddress: '0.0.0.0',
        shutdownOnStorageFailure: false,
        relations: { parent: { type: 'sites', id: this.siteId }, self: { type: 'recordingServers', id } },
      };
      const d: SimDevice = { type: 'recordingServers', id, obj, enabled: true, parent: null, truth: { ip: port ? '127.0.0.1' : null, hostname: host, mac: null, model: null, firmware: null, serial: null } };
      this.recordingServers.push(d);
      this.add(d);
      this.rsState.set(id, { state: 'responding', time: dotnetTime(now - 3_600_000, r) });
      const storageId = this.guid();
      this.storages.set(id, [
        {
          displayName: 'Local default',
          id: storageId,
          name: 'Local default',
          diskPath: 'C:\\MediaDatabase',
          retainMinutes: 10080,
          maxSize: 512000,
          relations: { parent: { type: 'recordingServers', id }, self: { type: 'storages', id: storageId } },
        },
      ]);
    }
    // Camera groups: buildings with floors.
    const buildings = Math.max(1, Math.min(5, Math.ceil(s.hardware / 500)));
    const floors: CameraGroup[] = [];
    for (let b = 0; b < buildings; b++) {
      const bname = `Building ${String.fromCharCode(65 + b)}`;
      const bg = this.group(bname, null, bname);
      for (let f = 1; f <= 4; f++) floors.push(this.group(`Floor ${f}`, bg.id, `${bname}/Floor ${f}`));
    }
    this.group('PTZ Tours', null, 'PTZ Tours');
    // Hardware.
    const disabledEvery = s.disabledRatio > 0 ? Math.max(2, Math.round(1 / s.disabledRatio)) : 0;
    for (let i = 0; i < s.hardware; i++) {
      const id = this.guid();
      const rs = this.recordingServers[i % Math.max(1, this.recordingServers.length)];
      const model = MODELS[i % MODELS.length];
      const n = i + 1;
      let address: string;
      let ip: string | null;
      let hostname: string | null = null;
      if (i % 50 === 5) {
        hostname = `cam-${String(n).padStart(5, '0')}.site.local`;
        address = `http://${hostname}/`;
        ip = null;
      } else if (i % 50 === 9) {
        ip = `fd00::${n.toString(16)}`;
        address = `http://[${ip}]/`;
      } else {
        ip = `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`;
        address = i % 10 === 3 ? `http://${ip}:8554/` : `http://${ip}/`;
      }
      const enabled = !(disabledEvery && i % disabledEvery === disabledEvery - 1);
      const name = `${model} (${hostname ?? ip})`;
      const obj = {
        displayName: name,
        enabled,
        id,
        name,
        description: i % 7 === 0 ? '' : `${model} on ${rs?.obj.name ?? 'RS'}`,
        address,
        userName: 'root',
        model,
        passwordLastModified: '0001-01-01T00:00:00.0000000',
        lastModified: stamp(i),
        hardwareDriverPath: { type: 'hardwareDrivers', id: 'ab537f0c-373c-4a3c-a45f-cb0c07fc07b3' },
        relations: { parent: { type: 'recordingServers', id: rs.id }, self: { type: 'hardware', id } },
      };
      const macHex = `00075F${(0x100000 + i).toString(16).toUpperCase().padStart(6, '0')}`;
      const { raw: macRaw, normalized } = macVariant(macHex, i);
      const firmware = `${6 + (i % 5)}.${(i * 3) % 50}.${i % 10}`;
      const serial = `SN${macHex.slice(6)}${String(i).padStart(5, '0')}`;
      const caps = i % 25 === 3;
      const inner: Record<string, unknown> = caps
        ? { DisplayName: 'General', MacAddress: macRaw, FirmwareVersion: firmware, SerialNumber: serial, ProductID: `P${i % 97}`, DetectedModelName: model }
        : { displayName: 'General', macAddress: macRaw, firmwareVersion: firmware, serialNumber: serial, productID: `P${i % 97}`, detectedModelName: model, httpSEnabled: 'No', httpSPort: '443' };
      this.driverSettings.set(id, {
        displayName: 'Settings',
        hardwareDriverSettings: inner,
        relations: { parent: { type: 'hardware', id }, self: { type: 'hardwareDriverSettings', id } },
      });
      const d: SimDevice = {
        type: 'hardware',
        id,
        obj,
        enabled,
        parent: { type: 'recordingServers', id: rs.id },
        truth: { ip, hostname, mac: normalized, model, firmware, serial },
      };
      this.hardware.push(d);
      this.add(d);
      this.childrenOf.set(id, []);
      this.comm.set(`hardware/${id}`, { state: enabled ? 'started' : 'stopped', time: dotnetTime(now - 7_200_000 - i * 1000, i) });
      if (i % 17 !== 16 && floors.length) this.groupOfHardware.set(id, floors[i % floors.length]);
    }
    // Channels: distributed round-robin over the hardware.
    const counts: Record<ChildType, number> = { cameras: s.cameras, microphones: s.microphones, speakers: s.speakers, metadata: s.metadata, inputEvents: s.inputs, outputs: s.outputs };
    for (const type of CHILD_TYPES) {
      for (let j = 0; j < counts[type] && this.hardware.length; j++) {
        const hw = this.hardware[j % this.hardware.length];
        const channel = Math.floor(j / this.hardware.length);
        const id = this.guid();
        const enabled = !(disabledEvery && j % (disabledEvery + 3) === disabledEvery);
        const obj = channelObject(type, id, `${hw.obj.name as string} - ${label(type)} ${channel + 1}`, channel, enabled, hw.id, stamp(j));
        const d: SimDevice = { type, id, obj, enabled, parent: { type: 'hardware', id: hw.id }, truth: hw.truth };
        this.children[type].push(d);
        this.add(d);
        this.childrenOf.get(hw.id)!.push(`${type}/${id}`);
        const effective = enabled && hw.enabled;
        this.comm.set(`${type}/${id}`, { state: effective ? 'started' : 'stopped', time: dotnetTime(now - 3_600_000 - j * 100, j) });
        if (type === 'cameras') {
          this.cameraAux.set(id, { recording: j % 3 === 0 ? T.recordingStarted : T.recordingStopped, motion: T.motionStopped, time: dotnetTime(now - 60_000 - j, j) });
          const g = this.groupOfHardware.get(hw.id);
          if (g) g.cameraIds.push(id);
        }
      }
    }
  }

  private group(name: string, parentId: string | null, path: string): CameraGroup {
    const id = this.guid();
    const obj: Record<string, unknown> = {
      displayName: name,
      id,
      name,
      description: '',
      lastModified: dotnetTime(Date.now() - 86_400_000, 42),
      relations: { self: { type: 'cameraGroups', id }, ...(parentId ? { parent: { type: 'cameraGroups', id: parentId } } : {}) },
    };
    const g: CameraGroup = { id, parentId, path, obj, cameraIds: [] };
    this.groups.push(g);
    return g;
  }

  device(type: string, id: string): SimDevice | undefined {
    return this.byKey.get(`${type}/${id.toLowerCase()}`);
  }

  /** Configuration-disabled: own flag, or (for channels) its hardware's. */
  effectiveEnabled(d: SimDevice): boolean {
    if (!d.enabled) return false;
    if (d.parent?.type === 'hardware') return this.byKey.get(`hardware/${d.parent.id}`)?.enabled ?? true;
    return true;
  }

  /** Location folder: the camera group of the hardware, for every device on hardware that has cameras. */
  locationOf(d: SimDevice): string | null {
    const hwId = d.type === 'hardware' ? d.id : d.parent?.type === 'hardware' ? d.parent.id : null;
    if (!hwId) return null;
    const g = this.groupOfHardware.get(hwId);
    if (!g) return null;
    const hasCamera = (this.childrenOf.get(hwId) ?? []).some((k) => k.startsWith('cameras/'));
    return hasCamera ? g.path : null;
  }

  expectedStatus(d: SimDevice): DeviceTruth['expected_status'] {
    if (!this.effectiveEnabled(d)) return 'disabled';
    if (d.type === 'recordingServers') return this.rsState.get(d.id)?.state === 'responding' ? 'online' : 'offline';
    return this.comm.get(`${d.type}/${d.id}`)?.state === 'started' ? 'online' : 'offline';
  }

  truth(d: SimDevice): DeviceTruth {
    return {
      resource_type: d.type,
      id: d.id,
      key: `${d.type}:${d.id}`,
      type: CANONICAL[d.type],
      name: String(d.obj.displayName ?? d.obj.name),
      enabled: this.effectiveEnabled(d),
      ip: d.truth.ip,
      mac: d.truth.mac,
      hostname: d.truth.hostname,
      location: this.locationOf(d),
      parent: d.parent ? { resource_type: d.parent.type, id: d.parent.id, key: `${d.parent.type}:${d.parent.id}` } : null,
      model: d.truth.model,
      firmware: d.truth.firmware,
      serial: d.truth.serial,
      expected_status: this.expectedStatus(d),
    };
  }

  *allDevices(): Generator<SimDevice> {
    yield* this.recordingServers;
    yield* this.hardware;
    for (const t of CHILD_TYPES) yield* this.children[t];
  }

  get deviceCount(): number {
    return this.byKey.size;
  }

  /** Group ids shared for rows. */
  static commGroupOf(type: DeviceType): string {
    return type === 'hardware' ? G.hardwareCommunication : type === 'recordingServers' ? G.recordingServerState : G.deviceCommunication;
  }
}

function label(type: ChildType): string {
  return { cameras: 'Camera', microphones: 'Microphone', speakers: 'Speaker', metadata: 'Metadata', inputEvents: 'Input', outputs: 'Output' }[type];
}

/**
 * MAC in the raw form the driver settings carry. Mostly 12 raw hex (as captured live), with
 * the other formats reported in the field: colons, hyphens, lower case, dotted, empty, zeros.
 */
function macVariant(hex: string, i: number): { raw: string; normalized: string | null } {
  const pairs = hex.match(/../g)!;
  const normalized = pairs.join(':');
  switch (i % 20) {
    case 7:
      return { raw: pairs.join(':').toLowerCase(), normalized };
    case 11:
      return { raw: pairs.join('-'), normalized };
    case 13:
      return { raw: '', normalized: null };
    case 17:
      return { raw: '000000000000', normalized: null };
    case 19:
      return { raw: `${hex.slice(0, 4)}.${hex.slice(4, 8)}.${hex.slice(8)}`.toLowerCase(), normalized };
    default:
      return { raw: hex, normalized };
  }
}

function channelObject(type: ChildType, id: string, name: string, channel: number, enabled: boolean, hwId: string, lastModified: string): Record<string, unknown> {
  const common: Record<string, unknown> = {
    displayName: name,
    enabled,
    id,
    name,
    channel,
    description: '',
    createdDate: '0001-01-01T00:00:00.0000000',
    lastModified,
    gisPoint: channel % 4 === 1 ? 'POINT (-96.16593 41.27878)' : 'POINT EMPTY',
    shortName: '',
    icon: 0,
    coverageDirection: 0,
    coverageDepth: 0,
    coverageFieldOfView: 0,
  };
  if (type === 'cameras') {
    Object.assign(common, {
      recordingFramerate: 5,
      recordKeyframesOnly: false,
      recordOnRelatedDevices: true,
      ptzEnabled: false,
      recordingEnabled: true,
      prebufferEnabled: true,
      prebufferInMemory: true,
      prebufferSeconds: 3,
      edgeStorageEnabled: false,
      edgeStoragePlaybackEnabled: false,
      manualRecordingTimeoutEnabled: true,
      manualRecordingTimeoutMinutes: 5,
      recordingStorage: { type: 'storages', id: '31bf8ed4-005c-4c6b-bb5c-e47d4d51b7a1' },
      failoverSetting: 'FullSupport',
    });
  }
  common.relations = { parent: { type: 'hardware', id: hwId }, self: { type, id } };
  return common;
}

/** 2023 R2 returned some numbers as strings (§3.4): coverage*, recordingFramerate. */
export function stringifyNumbers(o: Record<string, unknown>): Record<string, unknown> {
  const out = { ...o };
  for (const k of ['coverageDirection', 'coverageDepth', 'coverageFieldOfView', 'recordingFramerate'])
    if (typeof out[k] === 'number') out[k] = String(out[k]);
  return out;
}
