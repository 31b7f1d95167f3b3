import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configPath, createLogger, parseDuration, loadConfig, registerSecret, scrubSecrets } from '@edge/platform';
import { VENDORS } from '@edge/vendors';
import type { SurveyReport } from '@edge/collector-kit/survey';
import { EXIT, UsageError, type CliCommand } from '../command';
import { renderHtml } from '../survey/render-html';
import { renderText } from '../survey/render-text';
import { runSurvey } from '../survey/run-survey';
import { saveReport } from '../survey/save';

const USAGE = `edge survey — before installing: will this site work? (read-only)

  edge survey [--system ID] [--out report.html] [--events-wait 10s] [--json]

For each configured system (or one): reachability, TLS (chain, whether it verifies, the tls.*
setting that would), login with the exact reason, product and version and what it allows, what
the account can list, device counts per native and canonical type (IP, MAC, hostname, parent →
child), the event stream (connects, subscribes, a sign of life within --events-wait), the load
the collector will put on the system at the configured intervals (calls per hour; OnGuard audit
rows per day), measured timings and the estimated full-sync duration, and a verdict with fixes.
Nothing is changed on the systems and nothing is published: the survey logs in, lists, opens the
event stream and removes what it created. Reports are kept in <data_dir>/survey/ for the status
page; --out writes one self-contained HTML report. Exit code 1 when a system is not ready.`;

export const surveyCommand: CliCommand = {
  name: 'survey',
  summary: 'site survey before install: will each system work, and at what cost (read-only)',
  usage: USAGE,
  options: { system: { type: 'string' }, out: { type: 'string' }, 'events-wait': { type: 'string' } },
  async run(ctx, args, values) {
    if (args.length) throw new UsageError('survey takes no positional arguments');
    const file = resolve((values.config as string | undefined) ?? configPath(ctx.env));
    const cfg = loadConfig(file, ctx.env, { vendors: VENDORS });
    const wanted = values.system as string | undefined;
    const systems = cfg.systems.filter((s) => (wanted ? s.id === wanted : s.enabled));
    if (wanted && systems.length === 0) throw new UsageError(`no system "${wanted}" in ${file} (systems: ${cfg.systems.map((s) => s.id).join(', ')})`);
    const eventsWaitMs = values['events-wait'] === undefined ? 10_000 : parseDuration(String(values['events-wait']));
    if (eventsWaitMs === null || eventsWaitMs <= 0) throw new UsageError('--events-wait takes a duration such as 10s');
    const tty = !ctx.json && Boolean(process.stderr.isTTY);
    let last = '';
    const progress = (system: string, step: string) => {
      const line = `survey ${system}: ${step}`;
      if (line === last) return;
      last = line;
      if (tty) process.stderr.write(`\r\x1b[2K${line}${step === 'done' ? '\n' : ''}`);
      else if (!ctx.json) ctx.err(line);
    };
    // Servers echo some secrets in their errors (OnGuard names the Application-Id it refuses):
    // the reports are scrubbed of every secret of the config before they are shown or saved.
    for (const x of systems) for (const v of [x.password, x.application_id]) if (typeof v === 'string') registerSecret(v);
    registerSecret(cfg.cloud.token);
    const log = createLogger({ service: 'edge-survey', level: 'fatal', destination: { write: () => undefined } });
    const raw = await runSurvey(cfg, systems, { eventsWaitMs, timeoutMs: ctx.timeoutMs, log, progress });
    const report = JSON.parse(scrubSecrets(JSON.stringify(raw))) as SurveyReport;
    const dir = saveReport(cfg.data_dir, report);
    if (values.out) writeFileSync(resolve(String(values.out)), renderHtml(report));
    if (ctx.json) ctx.out(JSON.stringify(report, null, 2));
    else {
      for (const l of renderText(report)) ctx.out(l);
      ctx.out(`reports: ${dir}${values.out ? `, ${resolve(String(values.out))}` : ''}`);
    }
    return report.systems.some((s) => s.verdict === 'not_ready') ? EXIT.failed : EXIT.ok;
  },
};
