/**
 * The simulated OnGuard site: hardware instances with the property casing of the reference (§3),
 * live status bits per device (§4.2) kept apart from the `IsOnline` enable flag (§4.3), and the
 * truth a canonical device should carry (for end-to-end and chaos checks).
 */

export interface SiteOptions {
  seed: number;
  /** Access panels (Lnl_Panel). */
  panels: number;
  readersPerPanel: number;
  alarmPanelsPerPanel: number;
  /** Intrusion controllers: Lnl_Panel rows with an intrusion PanelType, plus their areas and zones. */
  intrusionPanels: number;
  areasPerIntrusionPanel: number;
  zonesPerIntrusionPanel: number;
  recorders: number;
  camerasPerRecorder: number;
  segments: number;
  /** Lnl_Panel rows that are logical sources (not hardware). */
  logicalSources: number;
  /** Share of devices that start offline / degraded / disabled. */
  offlineRatio: number;
  degradedRatio: number;
  disabledRatio: number;
}

export const DEFAULT_SITE: SiteOptions = {
  seed: 1,
  panels: 10,
  readersPerPanel: 8,
  alarmPanelsPerPanel: 2,
  intrusionPanels: 1,
  areasPerIntrusionPanel: 2,
  zonesPerIntrusionPanel: 8,
  recorders: 2,
  camerasPerRecorder: 8,
  segments: 4,
  logicalSources: 1,
  offlineRatio: 0.02,
  degradedRatio: 0.01,
  disabledRatio: 0.01,
};

export type Props = Record<string, unknown>;

/** One simulated instance. `status` is the live GetHardwareStatus value (null: no method). */
export interface SimDevice {
  type: string;
  /** Native key text (`3`, `3-1`). */
  key: string;
  props: Props;
  status: number | null;
  /** Key of the parent panel (Lnl_Panel) or recorder; null for top-level devices. */
  parent: { type: string; key: string } | null;
}

export interface PropertyDef {
  name: string;
  type: 'Int32' | 'String' | 'Boolean';
  is_key?: boolean;
}
export interface TypeDef {
  type_name: string;
  display_name: string;
  parent_type_name: string;
  token: string;
  properties: PropertyDef[];
  methods: string[];
  /** Canonical device type of the truth. */
  deviceType: string;
}

const P = (name: string, type: PropertyDef['type'] = 'Int32', is_key = false): PropertyDef => ({ name, type, is_key });

/** Type catalogue served by /types and /type; the same fixtures back /instances. */
export const TYPE_DEFS: Record<string, TypeDef> = {
  Lnl_Panel: {
    type_name: 'Lnl_Panel',
    display_name: 'Panel',
    parent_type_name: 'Lnl_Element',
    token: 'panel',
    properties: [P('ID', 'Int32', true), P('Name', 'String'), P('PanelType', 'String'), P('IsOnline', 'Boolean'), P('Workstation', 'String'), P('PrimaryIPAddress'), P('PrimaryDialupHostNumber'), P('SecondaryDialupHostNumber'), P('SegmentID')],
    methods: ['UpdateHardwareStatus', 'GetHardwareStatus', 'Connect', 'Disconnect', 'SetClock', 'DownloadDatabase', 'DownloadFirmware', 'ResetUseLimit'],
    deviceType: 'access_panel',
  },
  Lnl_Reader: {
    type_name: 'Lnl_Reader',
    display_name: 'Reader',
    parent_type_name: 'Lnl_Element',
    token: 'reader',
    properties: [P('PanelID', 'Int32', true), P('ReaderID', 'Int32', true), P('Name', 'String'), P('ControlType'), P('HostName', 'String'), P('TimeAttendanceType')],
    methods: ['OpenDoor', 'SetMode', 'GetMode', 'SetFirstCardUnlockMode', 'DownloadFirmware', 'GetHardwareStatus'],
    deviceType: 'access_control',
  },
  Lnl_AlarmPanel: {
    type_name: 'Lnl_AlarmPanel',
    display_name: 'Alarm Panel',
    parent_type_name: 'Lnl_Element',
    token: 'alarmpanel',
    properties: [P('ID', 'Int32', true), P('PANELID', 'Int32', true), P('NAME', 'String'), P('CONTROLTYPE')],
    methods: ['GetHardwareStatus'],
    deviceType: 'io_module',
  },
  Lnl_Camera: {
    type_name: 'Lnl_Camera',
    display_name: 'Camera',
    parent_type_name: 'Lnl_Element',
    token: 'camera',
    properties: [P('ID', 'Int32', true), P('PANELID'), P('NAME', 'String'), P('CAMERATYPENAME', 'String'), P('IPADDRESS'), P('PORT'), P('CHANNEL'), P('FRAMERATE'), P('WORKSTATION', 'String')],
    methods: [],
    deviceType: 'camera',
  },
  Lnl_IntrusionArea: {
    type_name: 'Lnl_IntrusionArea',
    display_name: 'Intrusion Area',
    parent_type_name: 'Lnl_Element',
    token: 'intrusionarea',
    properties: [P('ID', 'Int32', true), P('NAME', 'String'), P('AREANUMBER'), P('PANELID')],
    methods: ['ARM', 'DISARM', 'MASTERDELAYARM', 'GETHARDWARESTATUS'],
    deviceType: 'other',
  },
  Lnl_IntrusionZone: {
    type_name: 'Lnl_IntrusionZone',
    display_name: 'Intrusion Zone',
    parent_type_name: 'Lnl_Element',
    token: 'intrusionzone',
    properties: [P('ID', 'Int32', true), P('NAME', 'String'), P('PANELID'), P('DEVICEID'), P('HOSTNAME', 'String')],
    methods: ['BYPASS', 'UNBYPASS', 'GETHARDWARESTATUS'],
    deviceType: 'input',
  },
  Lnl_Segment: {
    type_name: 'Lnl_Segment',
    display_name: 'Segment',
    parent_type_name: 'Lnl_Element',
    token: 'segment',
    properties: [P('ID', 'Int32', true), P('NAME', 'String')],
    methods: [],
    deviceType: 'other',
  },
  Lnl_LogicalSource: {
    type_name: 'Lnl_LogicalSource',
    display_name: 'Logical Source',
    parent_type_name: 'Lnl_Element',
    token: 'logicalsource',
    properties: [P('ID', 'Int32', true), P('Name', 'String')],
    methods: [],
    deviceType: 'other',
  },
  Lnl_Cardholder: {
    type_name: 'Lnl_Cardholder',
    display_name: 'Cardholder',
    parent_type_name: 'Lnl_Person',
    token: 'cardholder',
    properties: [P('ID', 'Int32', true), P('FIRSTNAME', 'String'), P('LASTNAME', 'String')],
    methods: [],
    deviceType: 'other',
  },
};

export const VIDEO_RECORDER = 'video_recorder';

/** Tiny deterministic PRNG (mulberry32): the same seed builds the same site. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BUILDINGS = ['Main Bldg', 'North Tower', 'East Wing', 'Warehouse', 'Data Center', 'Parking Garage', 'Admin Bldg', 'Lab Bldg', 'Annex', 'South Campus', 'West Pavilion', 'Operations Ctr'];
const DOORS = ['Lobby', 'Main Entrance', 'Loading Dock', 'Stairwell A', 'Stairwell B', 'Server Room', 'IDF Closet', 'Elevator Lobby', 'Conference Ctr', 'Exec Suite', 'Break Room', 'Roof Access', 'Mailroom', 'Emergency Exit', 'Parking Entry', 'Shipping', 'Pharmacy', 'Records Room'];
const SEGMENTS = ['Chicago HQ', 'Milwaukee DC', 'Dallas Ops', 'Atlanta Campus', 'Denver Plant', 'Phoenix Hub', 'Seattle Office', 'Boston Lab', 'Miami Branch', 'Detroit Works'];
const PANEL_MODELS = ['LNL-3300', 'LNL-4420', 'LNL-X4420', 'LNL-X3300', 'LNL-2220', 'LNL-X2220'];
const INTRUSION_MODELS = ['Galaxy Dimension', 'Bosch D9412GV4', 'DMP XR550'];
const CAMERA_MODELS = ['AXIS P3245-V', 'AXIS Q6135-LE', 'Hanwha XNV-8080R', 'Bosch FLEXIDOME 5100i', 'Hikvision DS-2CD2143G2'];

/** `192.168.1.10` → 167880896 (little-endian, as OnGuard stores IPs). */
export function ipToLeInt(ip: string): number {
  const [a, b, c, d] = ip.split('.').map(Number);
  return ((d << 24) | (c << 16) | (b << 8) | a) >>> 0;
}

export function leIntToIp(n: number): string | null {
  const u = n >>> 0;
  if (u === 0) return null;
  return [u & 0xff, (u >>> 8) & 0xff, (u >>> 16) & 0xff, (u >>> 24) & 0xff].join('.');
}

export interface GeneratedSite {
  devices: Map<string, Map<string, SimDevice>>;
  recorders: Map<string, Props>;
  segments: Map<number, string>;
}

/** Builds a site. Sizes up to thousands of panels: everything is O(devices). */
export function generateSite(o: SiteOptions): GeneratedSite {
  const rnd = prng(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const devices = new Map<string, Map<string, SimDevice>>();
  const put = (d: SimDevice) => {
    let m = devices.get(d.type);
    if (!m) devices.set(d.type, (m = new Map()));
    m.set(d.key, d);
  };
  for (const t of Object.keys(TYPE_DEFS)) devices.set(t, new Map());
  const segments = new Map<number, string>();
  const segCount = Math.max(1, o.segments);
  for (let s = 1; s <= segCount; s++) {
    const name = s <= SEGMENTS.length ? SEGMENTS[s - 1] : `${SEGMENTS[(s - 1) % SEGMENTS.length]} ${Math.ceil(s / SEGMENTS.length)}`;
    segments.set(s, name);
    put({ type: 'Lnl_Segment', key: String(s), props: { ID: s, NAME: name }, status: null, parent: null });
  }
  const liveBits = (degradable: number[]): number => {
    const r = rnd();
    if (r < o.offlineRatio) return 0;
    if (r < o.offlineRatio + o.degradedRatio) return 0x1 | pick(degradable);
    return 0x1;
  };
  let panelId = 0;
  for (let i = 0; i < o.panels; i++) {
    const id = ++panelId;
    const seg = 1 + (i % segCount);
    const bldg = BUILDINGS[Math.floor(i / segCount) % BUILDINGS.length];
    const model = pick(PANEL_MODELS);
    const ip = `10.${seg}.${Math.floor(id / 250) % 256}.${(id % 250) + 2}`;
    const enabled = rnd() >= o.disabledRatio;
    put({
      type: 'Lnl_Panel',
      key: String(id),
      props: {
        ID: id,
        Name: `${bldg} ${model} #${id}`,
        PanelType: model,
        IsOnline: enabled,
        Workstation: `OGCOMM${String(seg).padStart(2, '0')}`,
        PrimaryIPAddress: ipToLeInt(ip),
        PrimaryDialupHostNumber: 0,
        SecondaryDialupHostNumber: 0,
        SegmentID: seg,
      },
      status: liveBits([0x4, 0x8]),
      parent: null,
    });
    for (let r = 1; r <= o.readersPerPanel; r++) {
      const door = DOORS[(i * 7 + r) % DOORS.length];
      const floor = `L${1 + ((r - 1) >> 1) % 9}`;
      put({
        type: 'Lnl_Reader',
        key: `${id}-${r}`,
        props: { PanelID: id, ReaderID: r, Name: `${bldg} ${floor} ${door} ${r % 2 === 1 ? 'In' : 'Out'} (P${id})`, ControlType: 0, HostName: `OGCOMM${String(seg).padStart(2, '0')}`, TimeAttendanceType: r % 2 === 1 ? 1 : 2 },
        status: liveBits([0x2000000, 0x8000000, 0x10, 0x800000]),
        parent: { type: 'Lnl_Panel', key: String(id) },
      });
    }
    for (let a = 1; a <= o.alarmPanelsPerPanel; a++) {
      const aid = 64 + a; // device ids above the reader range, unique within the panel
      const input = a % 2 === 1;
      put({
        type: 'Lnl_AlarmPanel',
        key: `${id}-${aid}`,
        props: { ID: aid, PANELID: id, NAME: `${bldg} ${input ? 'Input' : 'Output'} Module ${a} (P${id})`, CONTROLTYPE: input ? 129 : 130 },
        status: liveBits([0x4, 0x8]),
        parent: { type: 'Lnl_Panel', key: String(id) },
      });
    }
  }
  let areaId = 0;
  let zoneId = 0;
  for (let i = 0; i < o.intrusionPanels; i++) {
    const id = ++panelId;
    const seg = 1 + (i % segCount);
    const model = pick(INTRUSION_MODELS);
    put({
      type: 'Lnl_Panel',
      key: String(id),
      props: {
        ID: id,
        Name: `${BUILDINGS[(i + 3) % BUILDINGS.length]} Intrusion ${model} #${id}`,
        PanelType: model,
        IsOnline: true,
        Workstation: `OGCOMM${String(seg).padStart(2, '0')}`,
        PrimaryIPAddress: ipToLeInt(`10.${seg}.200.${(i % 250) + 2}`),
        PrimaryDialupHostNumber: 0,
        SecondaryDialupHostNumber: 0,
        SegmentID: seg,
      },
      status: 0x1,
      parent: null,
    });
    for (let a = 1; a <= o.areasPerIntrusionPanel; a++) {
      const aid = ++areaId;
      put({ type: 'Lnl_IntrusionArea', key: String(aid), props: { ID: aid, NAME: `Area ${a} (P${id})`, AREANUMBER: a, PANELID: id }, status: 1, parent: { type: 'Lnl_Panel', key: String(id) } });
    }
    for (let z = 1; z <= o.zonesPerIntrusionPanel; z++) {
      const zid = ++zoneId;
      put({
        type: 'Lnl_IntrusionZone',
        key: String(zid),
        props: { ID: zid, NAME: `Zone ${z} ${pick(['PIR', 'Door Contact', 'Glass Break', 'Motion'])} (P${id})`, PANELID: id, DEVICEID: z, HOSTNAME: `OGCOMM${String(seg).padStart(2, '0')}` },
        status: 1,
        parent: { type: 'Lnl_Panel', key: String(id) },
      });
    }
  }
  for (let i = 0; i < o.logicalSources; i++) {
    const id = ++panelId;
    put({
      type: 'Lnl_Panel',
      key: String(id),
      props: { ID: id, Name: `Logical Source ${i + 1}`, PanelType: 'Logical Source', IsOnline: true, Workstation: 'OGSERVER', PrimaryIPAddress: 0, PrimaryDialupHostNumber: 0, SecondaryDialupHostNumber: 0, SegmentID: 0 },
      status: 0x1,
      parent: null,
    });
    put({ type: 'Lnl_LogicalSource', key: String(id), props: { ID: id, Name: `Logical Source ${i + 1}` }, status: null, parent: null });
  }
  const recorders = new Map<string, Props>();
  let cameraId = 0;
  for (let i = 0; i < o.recorders; i++) {
    const id = ++panelId;
    const seg = 1 + (i % segCount);
    const host = `NVR-${String(i + 1).padStart(2, '0')}`;
    recorders.set(String(id), {
      id,
      name: host,
      computer_name: host,
      primary_ip_address: ipToLeInt(`10.${seg}.100.${(i % 250) + 2}`),
      http_port: 80,
      https_port: 443,
      is_online: true,
      panel_type_id: 13,
      panel_type_name: 'Lenel NVR',
      segment_id: seg,
      workstation: 'OGSERVER',
      world_timezone_id: 35,
      database_id: 0,
      is_daylight_saving: true,
    });
    for (let c = 1; c <= o.camerasPerRecorder; c++) {
      const cid = ++cameraId;
      put({
        type: 'Lnl_Camera',
        key: String(cid),
        props: {
          ID: cid,
          PANELID: id,
          NAME: `${pick(BUILDINGS)} ${pick(DOORS)} Camera ${c} (${host})`,
          CAMERATYPENAME: pick(CAMERA_MODELS),
          IPADDRESS: ipToLeInt(`10.${seg}.${101 + Math.floor(cid / 250)}.${(cid % 250) + 2}`),
          PORT: 80,
          CHANNEL: c,
          FRAMERATE: 15,
          WORKSTATION: host,
        },
        status: null,
        parent: { type: VIDEO_RECORDER, key: String(id) },
      });
    }
  }
  return { devices, recorders, segments };
}

/** Native key of a stored instance from a (case-insensitive) property map; null when a key is missing. */
export function keyFromProps(type: string, props: Props): string | null {
  const def = TYPE_DEFS[type];
  if (!def) return null;
  const lower = new Map(Object.entries(props).map(([k, v]) => [k.toLowerCase(), v]));
  const parts: string[] = [];
  for (const p of def.properties.filter((x) => x.is_key)) {
    const v = lower.get(p.name.toLowerCase());
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
    if (!Number.isInteger(n)) return null;
    parts.push(String(n));
  }
  // Lnl_AlarmPanel keys are stored PANELID-first (the parent), like Lnl_Reader.
  if (type === 'Lnl_AlarmPanel') return `${parts[1]}-${parts[0]}`;
  return parts.join('-');
}
