/**
 * The site a simulated Security Center serves: servers, roles (Archiver, Access Manager), video
 * units with one camera each (an IP camera is a unit plus a camera entity), access control units
 * with four doors each. Every entity has the fields the Web SDK projects (names in README).
 */
export type RunState = 'online' | 'offline' | 'warning';

export interface SimEntity {
  Guid: string;
  Name: string;
  EntityType: string;
  EntitySubType: string | null;
  LogicalId: number;
  HierarchicalParents: string[];
  OwnerRole: string | null;
  /** Network and hardware facts (units and servers only). */
  extra: Record<string, string>;
  state: RunState;
  maintenance: { reason: string; end: string | null } | null;
}

export interface SiteShape {
  cameras: number;
  doors: number;
}

/** How many entities a shape makes (servers, roles, video units, cameras, access control units, doors). */
export function entityCount(shape: SiteShape): number {
  const archivers = Math.ceil(shape.cameras / 1000);
  const acUnits = Math.ceil(shape.doors / 4);
  const managers = Math.ceil(acUnits / 250);
  return Math.ceil((archivers + managers) / 2) + archivers + managers + 2 * shape.cameras + acUnits + shape.doors;
}

/** A site of `size` entities (±1): about 42 % cameras and as many video units, doors for the rest. */
export function shapeForSize(size: number): SiteShape {
  const shape = { cameras: Math.max(1, Math.floor(size * 0.42)), doors: 1 };
  while (entityCount(shape) < size) shape.doors++;
  return shape;
}

const TYPE_CODE: Record<string, number> = { Server: 0x25, Role: 0x0d, VideoUnit: 0x27, Unit: 0x13, Camera: 0x06, Door: 0x0b };

function guid(type: string, n: number): string {
  const code = (TYPE_CODE[type] ?? 0xff).toString(16).padStart(8, '0');
  return `${code}-0000-babe-0000-${n.toString(16).padStart(12, '0')}`;
}

function mac(n: number, prefix: string): string {
  const hex = (prefix + n.toString(16).padStart(6, '0')).toUpperCase();
  return hex.match(/../g)!.join(':');
}

function ip(n: number, net: number): string {
  return `10.${net}.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`;
}

export class SiteModel {
  readonly byType = new Map<string, SimEntity[]>();
  readonly byGuid = new Map<string, SimEntity>();

  constructor(shape: SiteShape) {
    const archivers = Math.ceil(shape.cameras / 1000);
    const acUnits = Math.ceil(shape.doors / 4);
    const managers = Math.ceil(acUnits / 250);
    const servers = Math.ceil((archivers + managers) / 2);
    for (let i = 0; i < servers; i++) this.add({ EntityType: 'Server', Name: `SC-SRV-${i + 1}`, parents: [], extra: { Hostname: `sc-srv-${i + 1}.site.local`, IPAddress: ip(i, 0) } });
    const srv = (i: number) => this.byType.get('Server')![i % servers].Guid;
    for (let i = 0; i < archivers; i++) this.add({ EntityType: 'Role', EntitySubType: 'Archiver', Name: `Archiver ${i + 1}`, parents: [srv(i)] });
    for (let i = 0; i < managers; i++) this.add({ EntityType: 'Role', EntitySubType: 'AccessManager', Name: `Access Manager ${i + 1}`, parents: [srv(archivers + i)] });
    const roles = this.byType.get('Role')!;
    for (let i = 0; i < shape.cameras; i++) {
      const role = roles[Math.floor(i / 1000)].Guid;
      const unit = this.add({ EntityType: 'VideoUnit', Name: `Encoder ${i + 1}`, parents: [role], owner: role, extra: { IPAddress: ip(i, 20), MacAddress: mac(i, '00408C'), Manufacturer: 'Axis', Model: 'P3245-LV', FirmwareVersion: '10.12.165' } });
      this.add({ EntityType: 'Camera', Name: `Camera ${i + 1}`, parents: [unit.Guid, role], owner: role });
    }
    for (let i = 0; i < acUnits; i++) {
      const role = roles[archivers + Math.floor(i / 250)].Guid;
      this.add({ EntityType: 'Unit', EntitySubType: 'Synergis', Name: `Cloud Link ${i + 1}`, parents: [role], owner: role, extra: { IPAddress: ip(i, 30), MacAddress: mac(i, '0050F9'), Manufacturer: 'Genetec', Model: 'Synergis Cloud Link', FirmwareVersion: '4.1.2' } });
    }
    const units = this.byType.get('Unit')!;
    for (let i = 0; i < shape.doors; i++) this.add({ EntityType: 'Door', Name: `Door ${i + 1}`, parents: [units[Math.floor(i / 4)].Guid] });
  }

  private add(o: { EntityType: string; EntitySubType?: string; Name: string; parents: string[]; owner?: string; extra?: Record<string, string> }): SimEntity {
    const list = this.byType.get(o.EntityType) ?? [];
    const e: SimEntity = {
      Guid: guid(o.EntityType, list.length + 1),
      Name: o.Name,
      EntityType: o.EntityType,
      EntitySubType: o.EntitySubType ?? null,
      LogicalId: list.length + 1,
      HierarchicalParents: o.parents,
      OwnerRole: o.owner ?? null,
      extra: o.extra ?? {},
      state: 'online',
      maintenance: null,
    };
    list.push(e);
    this.byType.set(o.EntityType, list);
    this.byGuid.set(e.Guid.replace(/-/g, ''), e);
    return e;
  }

  get(guidText: string): SimEntity | undefined {
    return this.byGuid.get(guidText.trim().replace(/[{}-]/g, '').toLowerCase());
  }

  list(type: string): SimEntity[] {
    const t = [...this.byType.keys()].find((k) => k.toLowerCase() === type.toLowerCase());
    return t ? this.byType.get(t)! : [];
  }

  get size(): number {
    return this.byGuid.size;
  }

  /** One projected field of an entity (`undefined`: the entity has no such field). */
  field(e: SimEntity, name: string): unknown {
    const n = name.toLowerCase();
    const running = e.state === 'online' ? 'Online' : e.state === 'warning' ? 'Warning' : 'Offline';
    const base: Record<string, unknown> = {
      guid: e.Guid,
      name: e.Name,
      entitytype: e.EntityType,
      entitysubtype: e.EntitySubType,
      logicalid: e.LogicalId,
      hierarchicalparents: e.HierarchicalParents,
      ownerrole: e.OwnerRole,
      isonline: e.state !== 'offline',
      runningstate: running,
      isinmaintenance: e.maintenance !== null,
      maintenancereason: e.maintenance?.reason ?? null,
      maintenanceendtime: e.maintenance?.end ?? null,
    };
    if (n in base) return base[n];
    const k = Object.keys(e.extra).find((x) => x.toLowerCase() === n);
    return k ? e.extra[k] : /unit$|^server$/i.test(e.EntityType) && /^(ipaddress|macaddress|hostname|manufacturer|model|firmwareversion)$/.test(n) ? null : undefined;
  }
}
