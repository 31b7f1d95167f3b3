/**
 * Hardware status codes of OnGuard (reference §4.2, DataConduIT enumerations). Pure: the mapper
 * and the collector both use them.
 */

export const PANEL_BITS = {
  ONLINE: 0x1,
  OPTIONS_MISMATCH: 0x2,
  CABINET_TAMPER: 0x4,
  POWER_FAILURE: 0x8,
  DOWNLOADING_FIRMWARE: 0x10,
} as const;

export const READER_BITS = {
  ONLINE: 0x1,
  OPTIONS_MISMATCH: 0x2,
  CABINET_TAMPER: 0x4,
  POWER_FAIL: 0x8,
  READER_TAMPER: 0x10,
  DOOR_FORCED: 0x20,
  DOOR_HELD: 0x40,
  AUX1: 0x80,
  AUX2: 0x100,
  AUX3: 0x400,
  BIO_VERIFY: 0x800,
  DC_GROUND: 0x1000,
  DC_SHORT: 0x2000,
  DC_OPEN: 0x4000,
  DC_FAULT: 0x8000,
  RX_GROUND: 0x10000,
  RX_SHORT: 0x20000,
  RX_OPEN: 0x40000,
  RX_FAULT: 0x80000,
  FIRST_CARD_UNLOCK: 0x100000,
  EXTENDED_HELD: 0x200000,
  CIPHER_MODE: 0x400000,
  LOW_BATTERY: 0x800000,
  MOTOR_STALLED: 0x1000000,
  READ_HEAD_OFFLINE: 0x2000000,
  MRDT_OFFLINE: 0x4000000,
  DOOR_CONTACT_OFFLINE: 0x8000000,
} as const;

/** Bits that make an online device `degraded` (health, not alarm state), with their reason text. */
const PANEL_DEGRADING: Array<[number, string]> = [
  [PANEL_BITS.OPTIONS_MISMATCH, 'options mismatch'],
  [PANEL_BITS.CABINET_TAMPER, 'cabinet tamper'],
  [PANEL_BITS.POWER_FAILURE, 'power failure'],
];

const READER_DEGRADING: Array<[number, string]> = [
  [READER_BITS.OPTIONS_MISMATCH, 'options mismatch'],
  [READER_BITS.CABINET_TAMPER, 'cabinet tamper'],
  [READER_BITS.POWER_FAIL, 'power failure'],
  [READER_BITS.READER_TAMPER, 'reader tamper'],
  [READER_BITS.LOW_BATTERY, 'low battery'],
  [READER_BITS.MOTOR_STALLED, 'motor stalled'],
  [READER_BITS.READ_HEAD_OFFLINE, 'read head offline'],
  [READER_BITS.MRDT_OFFLINE, 'MRDT offline'],
  [READER_BITS.DOOR_CONTACT_OFFLINE, 'door contact offline'],
];

export type StatusKind = 'panel' | 'reader' | 'input' | 'output' | 'binary' | 'none';

export interface DecodedStatus {
  status: 'online' | 'offline' | 'degraded';
  reason: string | null;
}

const INPUT_STATES = ['secure', 'active', 'ground fault', 'short fault', 'open fault', 'generic fault'];

/**
 * Decodes a `GetHardwareStatus` value by the kind of device. Bit 0x1 is the link state of
 * panels and readers; the degrading bits only matter while online.
 */
export function decodeHardwareStatus(kind: StatusKind, value: number): DecodedStatus {
  switch (kind) {
    case 'panel':
    case 'reader': {
      if ((value & 0x1) === 0) return { status: 'offline', reason: 'communications lost' };
      const table = kind === 'panel' ? PANEL_DEGRADING : READER_DEGRADING;
      const reasons = table.filter(([bit]) => (value & bit) !== 0).map(([, text]) => text);
      return reasons.length > 0 ? { status: 'degraded', reason: reasons.join('; ') } : { status: 'online', reason: null };
    }
    case 'input': {
      // Not a bitmask: 0..5, +0x100 when masked.
      const masked = (value & 0x100) !== 0;
      const state = value & 0xff;
      const text = INPUT_STATES[state] ?? `state ${state}`;
      if (state >= 2) return { status: 'degraded', reason: masked ? `${text} (masked)` : text };
      return { status: 'online', reason: masked ? 'masked' : null };
    }
    case 'output':
      return { status: 'online', reason: null };
    case 'binary':
      // Intrusion areas and zones: 0 offline, 1 online (PSDataConduIT; weak source).
      return value === 0 ? { status: 'offline', reason: 'reported offline' } : { status: 'online', reason: null };
    case 'none':
      return { status: 'online', reason: null };
  }
}

/** Names of every set bit, for logs and debugging (`0x2000001` → `online, read head offline`). */
export function describeReaderBits(value: number): string[] {
  return Object.entries(READER_BITS)
    .filter(([, bit]) => (value & bit) !== 0)
    .map(([name]) => name.toLowerCase().replace(/_/g, ' '));
}
