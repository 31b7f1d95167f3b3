import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EdgeError, SystemConfig } from '@edge/platform';
import { configReference, openAccessBase, parseOnGuardSystem } from '../src/config';

const base = { id: 'og-main', vendor: 'onguard', base_url: 'https://og.local:8080', username: 'svc', password: 'pw-secret-1' };

describe('OnGuard system config', () => {
  it('fills defaults for every extra', () => {
    const c = parseOnGuardSystem(SystemConfig.parse({ ...base, application_id: 'APP-1' }));
    expect(c).toMatchObject({
      directory_id: 'id-1',
      request_timeout: 30_000,
      inventory: { page_size: 100, status: true },
      status: { concurrency: 4, update_settle: 500 },
      events: { enabled: true, hub: 'Outbound', heartbeat_interval: 10_000, filter: "business_event_class eq 'hardware_event'", fields: { panel: ['panel_id', 'controller_id', 'ControllerID', 'PanelID'] } },
      session: { auth_backoff_base: 300_000 },
    });
  });

  it('names the field of every problem, is permanent, and never echoes the password', () => {
    const e = (() => {
      try {
        parseOnGuardSystem(SystemConfig.parse({ ...base, inventory: { page_size: 500 }, events: { lost_pattern: '(' } }));
      } catch (x) {
        return x;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(EdgeError);
    expect((e as EdgeError).kind).toBe('permanent');
    const msg = (e as Error).message;
    expect(msg).toContain('systems[og-main].application_id');
    expect(msg).toContain('systems[og-main].inventory.page_size');
    expect(msg).toContain('systems[og-main].events.lost_pattern');
    expect(msg).not.toContain('pw-secret-1');
  });

  it('appends the OpenAccess path to the server root, and keeps a URL that has it', () => {
    expect(openAccessBase('https://og:8080')).toBe('https://og:8080/api/access/onguard/openaccess');
    expect(openAccessBase('https://og:8080/api/access/onguard/openaccess/')).toBe('https://og:8080/api/access/onguard/openaccess');
  });

  it('the README table is the generated one', () => {
    expect(readFileSync(join(__dirname, '..', 'README.md'), 'utf8')).toContain(configReference());
  });
});
