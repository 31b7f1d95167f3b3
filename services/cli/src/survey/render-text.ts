import { table } from '../format';
import { VERDICT_TEXT, type Level, type SurveyReport } from '@edge/collector-kit/survey';

const MARK: Record<Level, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: '-   ' };

/** The terminal summary of a survey. */
export function renderText(r: SurveyReport): string[] {
  const out: string[] = [`site ${r.site_id}: survey of ${r.systems.length} system(s), ${r.generated_at}`];
  for (const s of r.systems) {
    out.push('', `== ${s.system_id} (${s.vendor}, ${s.base_url}): ${VERDICT_TEXT[s.verdict].toUpperCase()}`);
    for (const c of s.checks) out.push(`  ${MARK[c.level]}  ${c.title.padEnd(20)} ${c.detail}`);
    const inv = s.inventory;
    if (inv && inv.total > 0) {
      out.push('', `  devices: ${inv.total}; with IP ${inv.with_ip}, MAC ${inv.with_mac}, hostname ${inv.with_hostname}`);
      out.push(`  by type: ${Object.entries(inv.by_canonical_type).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      out.push(`  native:  ${Object.entries(inv.by_native_type).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      for (const st of inv.structure.slice(0, 6)) out.push(`  ${st.parent} → ${st.child}: ${st.parents} → ${st.children}`);
    }
    if (s.cost) {
      out.push('', `  load at the configured intervals: ${s.cost.total_per_hour} calls/h${s.cost.audit_rows_per_day !== null ? `, ${s.cost.audit_rows_per_day} audit rows/day` : ''}`);
      for (const l of table(['METHOD', 'PER HOUR', 'WHY'], s.cost.per_hour.map((c) => [c.method, c.calls, c.why]), 70)) out.push(`    ${l}`);
    }
    if (s.timings.estimated_full_sync_s !== null)
      out.push('', `  timings: listing ${((s.timings.inventory_walk_ms ?? 0) / 1000).toFixed(1)} s, ${s.timings.page_ms_avg ?? '-'} ms per page; estimated full sync ${s.timings.estimated_full_sync_s} s`);
    out.push(`  survey calls: ${s.survey_calls.reduce((a, c) => a + c.calls, 0)} (${s.survey_calls.map((c) => `${c.method} ×${c.calls}`).join(', ')})`);
    if (s.fixes.length) {
      out.push('', '  to do:');
      for (const f of s.fixes) out.push(`    - ${f}`);
    }
  }
  const counts = r.systems.map((s) => `${s.system_id} ${VERDICT_TEXT[s.verdict]}`).join(', ');
  out.push('', `verdict: ${counts}`);
  return out;
}
