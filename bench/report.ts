/**
 * Turns what each benchmark area reported (flat `Record<string, number>`) into the nested,
 * numbers-only bench/results.json and the Markdown table of bench/results.md. Pure functions;
 * bench/run.ts does the running. `npx tsx bench/report.ts` re-renders results.md from
 * results.json (without the machine strings, which only a run knows).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VENDORS } from '@edge/vendors';

export type Flat = Record<string, number>;
export interface Nested {
  [k: string]: number | Nested;
}

/** What one area produced: its numbers, or why there are none. */
export interface AreaOutcome {
  area: string;
  ok: boolean;
  /** Flat numbers from the area's run() (empty when it failed). */
  values: Flat;
  /** Peak RSS per process class seen while the area ran (sampled by the runner). */
  rss_mb: Record<string, number>;
  seconds: number;
  /** Why it is missing or failed. */
  reason?: string;
  load_avg_1m: number;
}

/** Strings about the run: in results.md only (results.json stays numbers-only). */
export interface RunMeta {
  date: string;
  commit: string;
  cpu_model: string;
  cpus: number;
  mem_gb: number;
  node: string;
  nats_server: string;
  os: string;
  load_avg_1m: number;
}

/** The areas, in run order: the ceiling first (same run, same machine state), the pipeline last. */
export const AREAS = ['ceiling', 'onguard', 'milestone', 'genetec', 'normalizer', 'forwarder', 'e2e', 'console'] as const;

/** A required headline key, where it comes from, and how to read the candidates. */
interface Headline {
  path: string;
  /** [area, flat key] candidates, first found wins. */
  from: Array<[string, string]>;
  /** Instead of first-found: the largest of every match of this pattern in these areas. */
  maxOf?: { areas: string[]; pattern: RegExp };
}

/**
 * The keys the issue fixes, and the flat keys the areas report them under. The areas name
 * their own numbers; this table is the one place that knows which of them is the headline.
 */
export const HEADLINES: Headline[] = [
  { path: 'ceiling.hop_per_s', from: [['ceiling', 'hop_per_s']] },
  { path: 'onguard.calls_per_hour.before', from: [['onguard', 'calls_per_hour_before']] },
  { path: 'onguard.calls_per_hour.after', from: [['onguard', 'calls_per_hour_after']] },
  { path: 'onguard.calls_per_hour.reduction', from: [['onguard', 'calls_per_hour_reduction']] },
  { path: 'ceiling.publish_per_s', from: [['ceiling', 'publish_per_s']] },
  { path: 'ceiling.consume_per_s', from: [['ceiling', 'consume_per_s']] },
  {
    path: 'normalizer.per_s',
    from: [
      ['normalizer', 'per_s'],
      ['normalizer', 'normalizer_msgs_per_s'],
      ['normalizer', 'messages_per_s'],
      ['normalizer', 'msgs_per_s'],
      ['normalizer', 'throughput_per_s'],
      ['normalizer', 'status_per_s'],
      ['normalizer', 'events_per_s'],
    ],
  },
  {
    path: 'forwarder.per_s',
    from: [
      ['forwarder', 'per_s'],
      ['forwarder', 'events_per_s'],
      ['forwarder', 'messages_per_s'],
      ['forwarder', 'items_per_s'],
      ['forwarder', 'throughput_per_s'],
    ],
  },
  {
    path: 'e2e.per_s',
    from: [
      ['e2e', 'per_s'],
      ['e2e', 'events_per_s'],
      ['e2e', 'changes_per_s'],
      ['e2e', 'throughput_per_s'],
      ['e2e', 'max_changes_per_s'],
    ],
  },
  {
    path: 'e2e.latency_ms.p50_at_1000',
    from: [
      ['e2e', 'latency_ms_p50_at_1000'],
      ['e2e', 'p50_at_1000'],
      ['e2e', 'event_latency_ms_p50_at_1000'],
      ['e2e', 'latency_p50_ms_at_1000'],
      ['e2e', 'event_latency_ms_p50'],
      ['e2e', 'latency_ms_p50'],
    ],
  },
  {
    path: 'e2e.latency_ms.p99_at_1000',
    from: [
      ['e2e', 'latency_ms_p99_at_1000'],
      ['e2e', 'p99_at_1000'],
      ['e2e', 'event_latency_ms_p99_at_1000'],
      ['e2e', 'latency_p99_ms_at_1000'],
      ['e2e', 'event_latency_ms_p99'],
      ['e2e', 'latency_ms_p99'],
    ],
  },
  { path: 'e2e.latency_ms.p99_at_100', from: [['e2e', 'e2e_latency_ms_p99_at_100']] },
  { path: 'e2e.latency_ms.p50_at_100', from: [['e2e', 'e2e_latency_ms_p50_at_100']] },
  { path: 'console.rss_mb', from: [['console', 'rss_mb']] },
  { path: 'inventory_100k.seconds', from: [['e2e', 'inventory_100k_seconds']] },
  {
    path: 'inventory_50k.seconds',
    from: [
      ['e2e', 'inventory_50k_seconds'],
      ['e2e', 'inventory_50k_s'],
    ],
    // Without an end-to-end figure: the slowest collector's 50k inventory.
    maxOf: { areas: ['onguard', 'milestone'], pattern: /^inventory_50k_(seconds|s)$/ },
  },
];

export function getPath(o: Nested, path: string): number | undefined {
  let cur: number | Nested | undefined = o;
  for (const p of path.split('.')) {
    if (cur === undefined || typeof cur === 'number') return undefined;
    cur = cur[p];
  }
  return typeof cur === 'number' ? cur : undefined;
}

export function setPath(o: Nested, path: string, v: number): void {
  const parts = path.split('.');
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === undefined || typeof next === 'number') cur[p] = {};
    cur = cur[p] as Nested;
  }
  cur[parts[parts.length - 1]] = v;
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

function resolveHeadline(h: Headline, byArea: Map<string, AreaOutcome>): { value: number; source: string } | null {
  for (const [area, key] of h.from) {
    const v = byArea.get(area)?.values[key];
    if (typeof v === 'number' && Number.isFinite(v)) return { value: v, source: `${area}.${key}` };
  }
  if (h.maxOf) {
    let best: { value: number; source: string } | null = null;
    for (const area of h.maxOf.areas)
      for (const [k, v] of Object.entries(byArea.get(area)?.values ?? {}))
        if (h.maxOf.pattern.test(k) && Number.isFinite(v) && (!best || v > best.value)) best = { value: v, source: `${area}.${k}` };
    return best;
  }
  return null;
}

/** Process classes whose RSS the "every service < 256 MB" goal is about. */
export const SERVICE_CLASSES = [...VENDORS.map((v) => v.service.name), 'normalizer', 'forwarder'];

export interface Built {
  results: Nested;
  /** Where each headline came from ("missing" when no area reported it). */
  sources: Record<string, string>;
  goals: Goal[];
}

export interface Goal {
  name: string;
  target: string;
  value: number | null;
  met: boolean | null;
}

/** Nested results: every area's numbers under its name, the headline keys, RSS, ratios, machine. */
export function buildResults(outcomes: AreaOutcome[], machine: Flat): Built {
  const byArea = new Map(outcomes.map((o) => [o.area, o]));
  const results: Nested = {};
  for (const o of outcomes) {
    const area: Nested = {};
    for (const [k, v] of Object.entries(o.values)) if (Number.isFinite(v)) area[k] = v;
    results[o.area] = area;
  }
  const sources: Record<string, string> = {};
  for (const h of HEADLINES) {
    const r = resolveHeadline(h, byArea);
    sources[h.path] = r ? r.source : 'missing';
    if (r) setPath(results, h.path, r.value);
  }
  // RSS: what the areas reported (keys with `rss`) and what the runner sampled per process.
  const rss: Nested = {};
  let max: number | null = null;
  let maxSource = 'missing';
  const consider = (v: number, source: string, service: boolean) => {
    if (!Number.isFinite(v) || !service) return;
    if (max === null || v > max) {
      max = v;
      maxSource = source;
    }
  };
  for (const o of outcomes) {
    if (o.area === 'ceiling') continue;
    // Reported RSS of services only: not of nats-server or simulators, not growth or baseline figures,
    // not of a bench process that runs a service inside itself (`harness_…`: it also holds the
    // bench's own data). Totals and the 100 000-device site have keys of their own.
    for (const [k, v] of Object.entries(o.values)) if (/rss/i.test(k) && !/nats|sim|before|growth|baseline|total|100k|harness/i.test(k)) consider(v, `${o.area}.${k}`, true);
    // The e2e area's samples span its three sites, the 100 000-device one included, which runs
    // with its own sizing (bench/e2e.ts SIZING) and has keys of its own: the area reports each
    // service's peak per site instead (VmHWM: the latency site, 50 000 devices, 100 000 devices).
    for (const [cls, v] of Object.entries(o.rss_mb)) {
      setPath(rss, `sampled.${o.area}.${cls}`, round(v, 1));
      consider(v, `sampled ${o.area}/${cls}`, SERVICE_CLASSES.includes(cls) && o.area !== 'e2e');
    }
  }
  if (max !== null) rss.max = round(max, 1);
  sources['rss_mb.max'] = maxSource;
  const total = byArea.get('e2e')?.values.rss_mb_total_at_50k;
  if (total !== undefined && Number.isFinite(total)) {
    rss.total_at_50k = round(total, 1);
    sources['rss_mb.total_at_50k'] = 'e2e.rss_mb_total_at_50k';
  }
  const total100k = byArea.get('e2e')?.values.rss_mb_total_at_100k;
  if (total100k !== undefined && Number.isFinite(total100k)) rss.total_at_100k = round(total100k, 1);
  results.rss_mb = rss;

  const hop = getPath(results, 'ceiling.hop_per_s');
  const ratio = (path: string, denom: number | undefined): number | undefined => {
    const v = getPath(results, path);
    return v !== undefined && denom ? round(v / denom) : undefined;
  };
  const ratios: Array<[string, number | undefined]> = [
    ['normalizer_of_hop', ratio('normalizer.per_s', hop)],
    ['forwarder_of_hop', ratio('forwarder.per_s', hop)],
    ['e2e_of_hop', ratio('e2e.per_s', hop)],
    ['forwarder_of_consume', ratio('forwarder.per_s', getPath(results, 'ceiling.consume_per_s'))],
  ];
  for (const [k, v] of ratios) if (v !== undefined) setPath(results, `ratios.${k}`, v);

  const status: Nested = {};
  for (const o of outcomes) {
    status[o.area] = o.ok ? 1 : 0;
    setPath(results, `run.seconds.${o.area}`, round(o.seconds, 1));
    setPath(results, `run.load_avg_1m.${o.area}`, round(o.load_avg_1m, 2));
  }
  setPath(results, 'run.areas_ok', outcomes.filter((o) => o.ok).length);
  setPath(results, 'run.areas_missing', outcomes.filter((o) => !o.ok).length);
  (results.run as Nested).ok = status;
  results.machine = { ...machine };

  const v = (p: string) => getPath(results, p) ?? null;
  const goal = (name: string, target: string, value: number | null, ok: (x: number) => boolean): Goal => ({ name, target, value, met: value === null ? null : ok(value) });
  const goals = [
    goal('normalizer throughput', '≥ 50 % of the hop ceiling', v('ratios.normalizer_of_hop'), (x) => x >= 0.5),
    goal('end-to-end throughput', '≥ 30 % of the hop ceiling', v('ratios.e2e_of_hop'), (x) => x >= 0.3),
    goal('end-to-end p99 at 1 000 changes/s', '< 1 000 ms', v('e2e.latency_ms.p99_at_1000'), (x) => x < 1000),
    goal('end-to-end p99 at 100 changes/s', '< 200 ms', v('e2e.latency_ms.p99_at_100'), (x) => x < 200),
    goal('inventory of 50 000 devices', '< 30 s', v('inventory_50k.seconds'), (x) => x < 30),
    goal('inventory of 100 000 devices', '< 60 s', v('inventory_100k.seconds'), (x) => x < 60),
    goal('RSS of every service', '< 200 MB', v('rss_mb.max'), (x) => x < 200),
    goal('RSS of all processes at 50 000 devices', '< 1 024 MB', v('rss_mb.total_at_50k'), (x) => x < 1024),
  ];
  for (const g of goals) if (g.met !== null) setPath(results, `goals_met.${g.name.replace(/[^a-z0-9]+/gi, '_').replace(/_+$/, '')}`, g.met ? 1 : 0);
  return { results, sources, goals };
}

const fmt = (v: number | null | undefined, unit = ''): string => {
  if (v === null || v === undefined) return '— (missing)';
  const s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(round(v, 3));
  return `${s}${unit}`;
};

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '— (missing)' : `${Math.round(v * 100)} %`);

/** The Markdown page (bench/results.md): headline table, goals, per-area numbers, machine. */
export function renderMarkdown(b: Built, outcomes: AreaOutcome[], meta: RunMeta | null): string {
  const r = b.results;
  const g = (p: string) => getPath(r, p);
  const lines: string[] = [];
  lines.push('# Benchmark results', '');
  lines.push('Reproduce: `npm run bench` (writes bench/results.json and this file). Numbers from one run on the machine below;');
  lines.push('the JetStream ceilings were measured in the same run, so the ratios compare like with like.', '');
  if (meta)
    lines.push(
      `Machine: ${meta.cpus} × ${meta.cpu_model}, ${meta.mem_gb} GB RAM, ${meta.os}, Node ${meta.node}, nats-server ${meta.nats_server}; ` +
        `load average at start ${meta.load_avg_1m}. Commit ${meta.commit}, ${meta.date}.`,
      '',
    );
  lines.push('| measure | value | ratio to ceiling |', '|---|---:|---:|');
  lines.push(`| JetStream ceiling: hop (consume → publish with msg-id → ack) | ${fmt(g('ceiling.hop_per_s'), ' msg/s')} | 100 % |`);
  lines.push(`| JetStream ceiling: publish (msg-id, PubAck awaited) | ${fmt(g('ceiling.publish_per_s'), ' msg/s')} | |`);
  lines.push(`| JetStream ceiling: consume (durable pull, ack) | ${fmt(g('ceiling.consume_per_s'), ' msg/s')} | |`);
  lines.push(`| normalizer | ${fmt(g('normalizer.per_s'), ' msg/s')} | ${pct(g('ratios.normalizer_of_hop'))} of hop |`);
  lines.push(`| forwarder | ${fmt(g('forwarder.per_s'), ' msg/s')} | ${pct(g('ratios.forwarder_of_hop'))} of hop |`);
  lines.push(`| end to end (vendor → cloud) | ${fmt(g('e2e.per_s'), ' changes/s')} | ${pct(g('ratios.e2e_of_hop'))} of hop |`);
  lines.push(`| end-to-end latency p50 at 1 000 changes/s | ${fmt(g('e2e.latency_ms.p50_at_1000'), ' ms')} | |`);
  lines.push(`| end-to-end latency p99 at 1 000 changes/s | ${fmt(g('e2e.latency_ms.p99_at_1000'), ' ms')} | |`);
  lines.push(`| inventory of 50 000 devices | ${fmt(g('inventory_50k.seconds'), ' s')} | |`);
  lines.push(`| inventory of 100 000 devices | ${fmt(g('inventory_100k.seconds'), ' s')} | |`);
  lines.push(`| peak RSS of any service | ${fmt(g('rss_mb.max'), ' MB')} | |`);
  lines.push(`| RSS of all processes (incl. nats-server) at 50 000 devices | ${fmt(g('rss_mb.total_at_50k'), ' MB')} | |`);
  lines.push(`| end-to-end latency p99 at 100 changes/s | ${fmt(g('e2e.latency_ms.p99_at_100'), ' ms')} | |`);
  lines.push(`| status page (console) RSS at ${fmt(g('console.devices'))} devices | ${fmt(g('console.rss_mb'), ' MB')} | |`);
  lines.push('');
  lines.push(`Message size of the ceilings: ${fmt(g('ceiling.message_bytes'), ' bytes')} (a canonical health message).`, '');
  lines.push('## Goals', '', '| goal | target | measured | met |', '|---|---|---:|:---:|');
  for (const goal of b.goals) {
    const value = goal.value === null ? '— (missing)' : /throughput/.test(goal.name) ? pct(goal.value) : fmt(goal.value);
    lines.push(`| ${goal.name} | ${goal.target} | ${value} | ${goal.met === null ? 'not measured' : goal.met ? 'yes' : 'NO'} |`);
  }
  lines.push('', '## Where the headline numbers come from', '', '| key | area key |', '|---|---|');
  for (const [k, s] of Object.entries(b.sources)) lines.push(`| \`${k}\` | ${s === 'missing' ? '**missing** (no area reported it)' : `\`${s}\``} |`);
  lines.push('', '## Areas', '', '| area | result | run time | load avg at start | peak RSS per process (sampled) |', '|---|---|---:|---:|---|');
  for (const o of outcomes) {
    const rss = Object.entries(o.rss_mb)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${Math.round(v)} MB`)
      .join(', ');
    lines.push(`| ${o.area} | ${o.ok ? 'ok' : `**missing**: ${(o.reason ?? '').replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 200)}`} | ${round(o.seconds, 1)} s | ${round(o.load_avg_1m, 2)} | ${rss || '—'} |`);
  }
  for (const o of outcomes) {
    if (!o.ok || Object.keys(o.values).length === 0) continue;
    lines.push('', `### ${o.area}`, '', '| key | value |', '|---|---:|');
    for (const [k, v] of Object.entries(o.values)) lines.push(`| ${k} | ${fmt(v)} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Outcomes rebuilt from a results.json (for re-rendering without a run). */
export function outcomesFrom(results: Nested): AreaOutcome[] {
  const run = (results.run ?? {}) as Nested;
  const ok = (run.ok ?? {}) as Nested;
  const secs = (run.seconds ?? {}) as Nested;
  const loads = (run.load_avg_1m ?? {}) as Nested;
  const sampled = ((results.rss_mb as Nested | undefined)?.sampled ?? {}) as Nested;
  const flat = (n: Nested | undefined, prefix = ''): Flat => {
    const out: Flat = {};
    for (const [k, v] of Object.entries(n ?? {})) {
      if (typeof v === 'number') out[`${prefix}${k}`] = v;
    }
    return out;
  };
  return Object.keys(ok).map((area) => ({
    area,
    ok: ok[area] === 1,
    values: flat(results[area] as Nested | undefined),
    rss_mb: flat(sampled[area] as Nested | undefined),
    seconds: Number(secs[area] ?? 0),
    load_avg_1m: Number(loads[area] ?? 0),
    reason: ok[area] === 1 ? undefined : 'see the last run',
  }));
}

if (require.main === module) {
  const dir = __dirname;
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Nested;
  const outcomes = outcomesFrom(results);
  const built = buildResults(outcomes, (results.machine ?? {}) as Flat);
  writeFileSync(join(dir, 'results.md'), renderMarkdown(built, outcomes, null));
  process.stdout.write('bench/results.md re-rendered from bench/results.json\n');
}
