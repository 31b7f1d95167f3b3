import type { Device } from '@edge/contracts';
import type { InventoryFinding } from './report';

/** Counts of an inventory walk, from the canonical devices the vendor mapper makes of it. */
export class InventoryTally {
  private readonly typeOf = new Map<string, string>();
  private readonly parentOf = new Map<string, string>();
  private readonly f: InventoryFinding = { total: 0, by_native_type: {}, by_canonical_type: {}, with_ip: 0, with_mac: 0, with_hostname: 0, structure: [] };

  add(d: Device): void {
    this.f.total++;
    const native = d.source.native_type;
    this.f.by_native_type[native] = (this.f.by_native_type[native] ?? 0) + 1;
    this.f.by_canonical_type[d.type] = (this.f.by_canonical_type[d.type] ?? 0) + 1;
    if (d.ip) this.f.with_ip++;
    if (d.mac_address) this.f.with_mac++;
    if (d.hostname) this.f.with_hostname++;
    // Structure by native type: `Lnl_Panel → Lnl_Reader`, `recordingServers → hardware → cameras`.
    this.typeOf.set(d.id, native);
    if (d.parent_id) this.parentOf.set(d.id, d.parent_id);
  }

  /** A type counted without a device (a listing that was only counted). */
  addNative(native: string, n: number): void {
    this.f.by_native_type[native] = (this.f.by_native_type[native] ?? 0) + n;
  }

  result(): InventoryFinding {
    const rel = new Map<string, { parents: Set<string>; children: number }>();
    for (const [child, parent] of this.parentOf) {
      const pt = this.typeOf.get(parent) ?? 'unlisted parent';
      const k = `${pt}\u0000${this.typeOf.get(child)}`;
      const r = rel.get(k) ?? { parents: new Set<string>(), children: 0 };
      r.parents.add(parent);
      r.children++;
      rel.set(k, r);
    }
    const structure = [...rel.entries()]
      .map(([k, r]) => {
        const [parent, child] = k.split('\u0000');
        return { parent, child, parents: r.parents.size, children: r.children };
      })
      .sort((a, b) => b.children - a.children);
    return { ...this.f, structure };
  }
}
