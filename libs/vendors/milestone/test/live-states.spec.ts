import { describe, expect, it } from 'vitest';
import { Counters, SystemConfig } from '@edge/platform';
import { OrderedStatusQueue } from '@edge/collector-kit';
import { parseMilestoneConfig } from '../src';
import { EVENT_TYPES } from '../src/constants';
import { LiveStates, StringPool } from '../src/live-states';
import { RsTypeRegistry } from '../src/rs-type-registry';
import type { ConfigApiClient } from '../src/client/config-api-client';
import type { EssEvent } from '../src/raw-schema';
import { quietLog } from './helpers';

const ZERO = '00000000-0000-0000-0000-000000000000';
const CAMERA = '6bd5f9a5-5e7c-4a5b-9d35-0f6f2f6a1c01';
const HARDWARE = '1f0e3d2c-4b5a-4968-8776-655443322110';

function liveStates(): LiveStates {
  const cfg = parseMilestoneConfig(SystemConfig.parse({ id: 'xp', vendor: 'milestone', base_url: 'https://xp.local', username: 'u', password: 'p' }));
  // Recording-server types come from config here, so learning them from rows asks the server nothing.
  const rs = new RsTypeRegistry({} as ConfigApiClient, { ...cfg, recording_server_event_types: { responding: ['rs-ok'], not_responding: ['rs-down'] } }, quietLog);
  const counters = new Counters();
  const queue = new OrderedStatusQueue({ max: 10, counters, log: quietLog, dropped: () => undefined, failed: () => undefined });
  return new LiveStates(cfg, rs, queue, counters);
}

describe('LiveStates: the rows it keeps', () => {
  it('keeps and returns every relevant row with all its fields, and drops the rest', async () => {
    const known = liveStates();
    const rows: EssEvent[] = [
      // A getState row as real servers send it, plus a field the schema does not name.
      { specversion: '1.0', type: EVENT_TYPES.deviceCommunicationError, source: `cameras/${CAMERA}`, id: ZERO, time: '2026-05-18T14:43:37.0175178Z', stategroupid: '53b40c77-cf48-42a2-a432-db65ae3afc7a', extra: 'kept' },
      // Upper-case source: the kept row keeps it as sent.
      { specversion: '1.0', type: EVENT_TYPES.hardwareCommunicationStarted, source: `Hardware/${HARDWARE.toUpperCase()}`, id: ZERO, time: '2026-05-18T14:43:38Z', data: { note: 1 } },
      // Not a communication type: not kept.
      { specversion: '1.0', type: '6eb95dd6-7ccc-4bce-99f8-af0d0b582d77', source: `cameras/${CAMERA}`, id: ZERO, time: '2026-05-18T14:43:39Z', stategroupid: 'motion' },
    ];
    const copies = rows.map((r) => JSON.parse(JSON.stringify(r)) as EssEvent);
    const kept = await known.absorb(rows);
    expect(kept).toEqual([copies[0], copies[1]]);
    expect(known.states.get(`cameras/${CAMERA}`)).toBe(kept[0]);
    expect(known.states.get(`hardware/${HARDWARE}`)).toBe(kept[1]);
    expect(known.states.size).toBe(2);
  });
});

describe('StringPool', () => {
  it('gives back the value it was given, also past its bound', () => {
    const pool = new StringPool(2);
    const values = ['a', 'b', 'c', 'a', 'c'].map((s) => `${s}-${'x'.repeat(40)}`);
    expect(values.map((v) => pool.get(v))).toEqual(values);
  });
});
