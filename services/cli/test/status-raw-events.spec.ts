import { describe, expect, it } from 'vitest';
import { problemsOf, rawEventLines } from '../src/commands/status';
import type { StatusReply } from '../src/commands/status-replies';

const system = (over: Record<string, unknown>) => ({
  system_id: 'og-main',
  vendor: 'onguard',
  state: { connection: 'connected', events: 'subscribed', last_error: null, ...over },
});

describe('edge status --raw-events and partial syncs', () => {
  it('prints each kept event body with its outcome, and the collector warning', () => {
    const reply: StatusReply = {
      name: 'collector-onguard',
      systems: [
        system({
          details: {
            events: {
              warning: '2 hardware event(s) arrived and none named a device the inventory knows',
              raw_events: [
                { at: '2026-01-01T00:00:00.000Z', outcome: 'unread', event: { source_panel: 1, message: 'Communications Lost' } },
                { at: '2026-01-01T00:00:01.000Z', outcome: 'device', event: { controller_id: 2 } },
              ],
            },
          },
        }),
      ],
    } as StatusReply;
    const lines = rawEventLines([reply]);
    expect(lines[0]).toBe('og-main (onguard): 2 recent event(s) — 2 hardware event(s) arrived and none named a device the inventory knows');
    expect(lines[1]).toBe('  2026-01-01T00:00:00.000Z unread {"source_panel":1,"message":"Communications Lost"}');
    expect(lines[2]).toBe('  2026-01-01T00:00:01.000Z device {"controller_id":2}');
    expect(rawEventLines([{ name: 'normalizer' } as StatusReply])).toEqual([]);
  });

  it('a partial sync needs attention and names the type and the reason', () => {
    const reply = {
      name: 'collector-onguard',
      systems: [
        {
          ...system({}),
          last_sync: { sync_id: 's1', started_at: 'x', finished_at: 'y', devices: 3, complete: true, failed_types: [{ type: 'Lnl_AlarmPanel', reason: 'HTTP 403: refused' }] },
        },
      ],
    } as StatusReply;
    expect(problemsOf([reply])).toEqual(['system og-main: last sync partial: Lnl_AlarmPanel could not be listed (HTTP 403: refused)']);
  });
});
