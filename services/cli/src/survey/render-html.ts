import { VERDICT_TEXT, type Level, type SurveyReport, type SystemSurvey } from '@edge/collector-kit/survey';

const esc = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const COLOR: Record<Level, string> = { ok: '#1a7f37', warn: '#9a6700', fail: '#cf222e', skip: '#57606a' };
const VERDICT_COLOR = { ready: '#1a7f37', ready_with_warnings: '#9a6700', not_ready: '#cf222e' } as const;

const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:980px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:0}h3{font-size:14px;margin:18px 0 6px}
.sys{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin:18px 0}.verdict{display:inline-block;color:#fff;border-radius:12px;padding:2px 10px;font-weight:600;margin-left:8px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;vertical-align:top;overflow-wrap:anywhere}th{font-weight:600;color:#57606a}
.lvl{font-weight:700;width:52px}.muted{color:#57606a}.fix li{margin:4px 0}code{background:#eaeef2;padding:1px 4px;border-radius:4px}`;

function rows(headers: string[], data: Array<Array<string | number | null>>): string {
  return `<table><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${data.map((r) => `<tr>${r.map((c) => `<td>${esc(c ?? '-')}</td>`).join('')}</tr>`).join('')}</table>`;
}

function system(s: SystemSurvey): string {
  const parts = [
    `<section class="sys" id="${esc(s.system_id)}"><h2>${esc(s.system_id)} <span class="muted">${esc(s.vendor)} · ${esc(s.base_url)}</span><span class="verdict" style="background:${VERDICT_COLOR[s.verdict]}">${esc(VERDICT_TEXT[s.verdict])}</span></h2>`,
    `<p class="muted">${esc(s.product ? `${s.product.name ?? ''} ${s.product.version ?? ''}` : 'product unknown')} · surveyed ${esc(s.started_at)} in ${(s.duration_ms / 1000).toFixed(1)} s</p>`,
    `<table>${s.checks.map((c) => `<tr><td class="lvl" style="color:${COLOR[c.level]}">${esc(c.level.toUpperCase())}</td><td><b>${esc(c.title)}</b></td><td>${esc(c.detail)}</td></tr>`).join('')}</table>`,
  ];
  if (s.fixes.length) parts.push(`<h3>What to fix</h3><ul class="fix">${s.fixes.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`);
  if (s.product) parts.push(`<h3>What this version allows</h3><p>${esc(s.product.allows.join('; '))}${s.product.lacks.length ? `<br><span style="color:${COLOR.warn}">Missing: ${esc(s.product.lacks.join('; '))}</span>` : ''}</p>`);
  if (s.tls) parts.push(`<h3>TLS</h3>${rows(['subject', 'issuer', 'SHA-256'], s.tls.chain.map((c) => [c.subject, c.issuer, c.fingerprint256]))}${s.tls.setting ? `<p>Setting that makes it verify: <code>${esc(s.tls.setting)}</code></p>` : ''}`);
  const inv = s.inventory;
  if (inv) {
    parts.push(`<h3>Devices: ${inv.total}</h3><p>with IP ${inv.with_ip} · with MAC ${inv.with_mac} · with hostname ${inv.with_hostname}</p>`);
    parts.push(rows(['canonical type', 'devices'], Object.entries(inv.by_canonical_type)));
    parts.push(rows(['native type', 'devices'], Object.entries(inv.by_native_type)));
    if (inv.structure.length) parts.push(`<h3>Structure</h3>${rows(['parent', 'child', 'parents', 'children'], inv.structure.map((x) => [x.parent, x.child, x.parents, x.children]))}`);
  }
  if (s.refused.length) parts.push(`<h3>Refused to this account</h3>${rows(['what', 'reason'], s.refused.map((r) => [r.what, r.reason]))}`);
  parts.push(`<h3>Event stream: ${esc(s.events.state)}</h3><p>${esc(s.events.detail)}</p>`);
  if (s.cost)
    parts.push(
      `<h3>Load at the configured intervals: ${s.cost.total_per_hour} calls/hour${s.cost.audit_rows_per_day !== null ? `, ${s.cost.audit_rows_per_day} audit rows/day` : ''}</h3>${rows(['method', 'per hour', 'why'], s.cost.per_hour.map((c) => [c.method, c.calls, c.why]))}`,
    );
  parts.push(
    `<h3>Timings</h3><p>listing ${((s.timings.inventory_walk_ms ?? 0) / 1000).toFixed(1)} s · ${s.timings.page_ms_avg ?? '-'} ms per page · estimated full sync ${s.timings.estimated_full_sync_s ?? '-'} s</p>${rows(['call', 'count', 'total ms', 'max ms'], s.timings.calls.map((c) => [c.method, c.calls, c.total_ms, c.max_ms]))}`,
  );
  parts.push(`<h3>Calls the survey made (it changes nothing on the server)</h3>${rows(['call', 'count'], s.survey_calls.map((c) => [c.method, c.calls]))}`);
  return `${parts.join('\n')}</section>`;
}

/** The survey as one self-contained HTML page (inline CSS, no scripts, no external assets). */
export function renderHtml(r: SurveyReport): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Site survey ${esc(r.site_id)}</title><style>${CSS}</style></head><body><main>
<h1>Site survey: ${esc(r.site_id)}</h1><p class="muted">${esc(r.generated_at)} · edge ${esc(r.edge_version)} · ${r.systems.map((s) => `${esc(s.system_id)}: ${esc(VERDICT_TEXT[s.verdict])}`).join(' · ')}</p>
${r.systems.map(system).join('\n')}
</main></body></html>`;
}
