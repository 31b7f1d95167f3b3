import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SystemConfig, EdgeError } from '@edge/platform';
import { configReference, parseMilestoneConfig } from './config';

const base = { id: 'xp-main', vendor: 'milestone', base_url: 'https://xp.local', username: 'svc', password: 'pw-secret' };

describe('milestone system config', () => {
  it('defaults', () => {
    const c = parseMilestoneConfig(SystemConfig.parse(base));
    expect(c).toMatchObject({
      client_id: 'GrantValidatorClient',
      page_size: 500,
      driver_settings_concurrency: 8,
      resume_window: 30_000,
      get_state_timeout: 300_000,
      ws_max_payload: 64 * 1024 * 1024,
      recording_server_probe: 'auto',
      child_types: ['cameras', 'microphones', 'speakers', 'metadata', 'inputEvents', 'outputs'],
    });
    expect(c.recording_server_event_types).toBeUndefined();
  });

  it('durations, sizes and GUIDs are parsed', () => {
    const c = parseMilestoneConfig(
      SystemConfig.parse({
        ...base,
        resume_window: '20s',
        ws_max_payload: '64MB',
        recording_server_event_types: { responding: ['5F1E2C3D-0A4B-4C6D-8E9F-7A1B2C3D4E01'], not_responding: [] },
      }),
    );
    expect(c.resume_window).toBe(20_000);
    expect(c.ws_max_payload).toBe(64 * 1024 * 1024);
    expect(c.recording_server_event_types?.responding).toEqual(['5f1e2c3d-0a4b-4c6d-8e9f-7a1b2c3d4e01']);
  });

  it.each([
    [{ page_size: 0 }, 'page_size'],
    [{ driver_settings_concurrency: 100 }, 'driver_settings_concurrency'],
    [{ pagesize: 100 }, 'unknown field(s) "pagesize"'],
    [{ recording_server_event_types: { responding: ['not-a-guid'] } }, 'must be a GUID'],
    [{ recording_server_probe: 'sometimes' }, 'recording_server_probe'],
    [{ resume_window: 'soon' }, 'is not a duration'],
  ])('refuses %j with a message naming the field', (extra, text) => {
    const e = (() => {
      try {
        parseMilestoneConfig(SystemConfig.parse({ ...base, ...extra }));
      } catch (x) {
        return x;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(EdgeError);
    expect((e as EdgeError).kind).toBe('permanent');
    expect((e as EdgeError).message).toContain('systems[xp-main]');
    expect((e as EdgeError).message).toContain(text);
    expect((e as EdgeError).message).not.toContain('pw-secret');
  });

  it('the README table is the generated one', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(configReference());
  });
});
