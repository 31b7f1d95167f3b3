import { getCi, textOrNull, toUtcIso } from '@edge/contracts';
import type { EventsConfig } from '../config';

/**
 * Reads an `OnBusinessEventReceived` dictionary tolerantly (§5.4): every field name is a list
 * from config tried case-insensitively; descriptions are matched against configurable patterns
 * (§5.5). Pure.
 */
export interface HardwareEvent {
  eventClass: string | null;
  panelId: number | null;
  deviceId: number | null;
  subdeviceId: number | null;
  /** Event time in UTC ISO, or null. */
  timestamp: string | null;
  description: string | null;
  eventId: string | null;
  /** lost / restored: the text says so outright; suspect: confirm with a status read; ignore: nothing to do. */
  verdict: 'lost' | 'restored' | 'suspect' | 'ignore';
  /** Keys neither read nor listed as known (logged once each, to learn the real payload). */
  unknownKeys: string[];
}

function first(ev: Record<string, unknown>, names: string[]): { key: string | null; value: unknown } {
  for (const n of names) {
    const v = getCi(ev, n);
    if (v !== undefined && v !== null && v !== '') {
      const key = Object.keys(ev).find((k) => k.toLowerCase() === n.toLowerCase()) ?? n;
      return { key, value: v };
    }
  }
  return { key: null, value: undefined };
}

function int(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return null;
}

export interface CompiledEventRules {
  fields: EventsConfig['fields'];
  /** Per business-event class (lower case): the key lists that replace `fields` for that class. */
  classFields: Map<string, Partial<EventsConfig['fields']>>;
  lost: RegExp;
  restored: RegExp;
  suspect: RegExp;
  naiveTimes: 'utc' | 'local';
}

export function compileEventRules(cfg: EventsConfig): CompiledEventRules {
  return {
    fields: cfg.fields,
    classFields: new Map(Object.entries(cfg.class_fields).map(([k, v]) => [k.toLowerCase(), v])),
    lost: new RegExp(cfg.lost_pattern, 'i'),
    restored: new RegExp(cfg.restored_pattern, 'i'),
    suspect: new RegExp(cfg.suspect_pattern, 'i'),
    naiveTimes: cfg.naive_times,
  };
}

export function readHardwareEvent(ev: Record<string, unknown>, rules: CompiledEventRules): HardwareEvent {
  const used = new Set<string>();
  const take = (names: string[]) => {
    const r = first(ev, names);
    if (r.key) used.add(r.key.toLowerCase());
    return r.value;
  };
  // The class decides which key lists apply (keyed on the business-event class).
  const eventClass = textOrNull(take(rules.fields.event_class));
  const over = eventClass ? rules.classFields.get(eventClass.toLowerCase()) : undefined;
  const f = over ? { ...rules.fields, ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) } : rules.fields;
  const panelId = int(take(f.panel));
  const deviceId = int(take(f.device));
  const subdeviceId = int(take(f.subdevice));
  const timestamp = toUtcIso(take(f.time), rules.naiveTimes);
  const description = textOrNull(take(f.description));
  const eventId = textOrNull(take(f.event_id));
  // Every alternative name counts as known, so a payload using another spelling is not "unknown".
  const known = new Set([...f.known, ...f.event_class, ...f.panel, ...f.device, ...f.subdevice, ...f.time, ...f.description, ...f.event_id].map((k) => k.toLowerCase()));
  const unknownKeys = Object.keys(ev).filter((k) => !used.has(k.toLowerCase()) && !known.has(k.toLowerCase()));
  let verdict: HardwareEvent['verdict'] = 'ignore';
  if (description !== null) {
    if (rules.restored.test(description)) verdict = 'restored';
    else if (rules.lost.test(description)) verdict = 'lost';
    else if (rules.suspect.test(description)) verdict = 'suspect';
  }
  if (panelId === null && verdict !== 'ignore') verdict = 'ignore';
  return { eventClass, panelId, deviceId, subdeviceId, timestamp, description, eventId, verdict, unknownKeys };
}
