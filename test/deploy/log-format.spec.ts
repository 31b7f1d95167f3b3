/** `npm start` / the demo at a terminal: pino JSON lines rendered by pino-pretty; other lines untouched. */
import { describe, expect, it } from 'vitest';
import { prettyLine, wantPretty } from '../../scripts/log-format';

describe('log prettifier', () => {
  it('renders time, level, message and the extra fields, without the per-process boilerplate', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-12-02T12:00:01.000Z', msg: 'cloud refused', service: 'forwarder', pid: 42, site: 's1', status: 503 });
    const out = prettyLine(line, false);
    expect(out).toMatch(/WARN/);
    expect(out).toContain('cloud refused');
    expect(out).toContain('"status":503');
    expect(out).not.toContain('"pid"');
    expect(out).not.toContain('\n');
  });

  it('passes nats-server lines and broken JSON through; JSON when not at a terminal', () => {
    expect(prettyLine('[12] 2026/12/02 12:00:00 [INF] Server is ready', false)).toBe('[12] 2026/12/02 12:00:00 [INF] Server is ready');
    expect(prettyLine('{not json', false)).toBe('{not json');
    expect(wantPretty({}, false)).toBe(false);
    expect(wantPretty({ EDGE_LOG_FORMAT: 'pretty' }, false)).toBe(true);
  });
});
