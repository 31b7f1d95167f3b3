import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, live, post, setToken, token } from './api';
import { DeviceTree, OfflineList } from './devices';
import { ago, bytes, secs } from './format';
import { Timeline } from './timeline';
import type { DeviceRow, ServiceView, SiteView, SystemStatus } from './types';

const STATUSES = ['', 'online', 'offline', 'degraded', 'disabled', 'unknown'];
const TYPES = ['', 'camera', 'access_control', 'access_panel', 'intrusion_panel', 'recorder', 'io_module', 'input', 'output', 'microphone', 'speaker', 'server', 'other'];

interface Filters {
  status: string;
  type: string;
  name: string;
  system: string;
}

function qs(f: Filters, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) p.set(k, v);
  return p.toString();
}

function Systems(props: { view: SiteView; onSync: (system: string) => void }) {
  const systems = props.view.services.flatMap((s) => s.status.systems ?? []);
  if (systems.length === 0) return <p class="muted">No collector answered yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>system</th>
          <th>connection</th>
          <th>version</th>
          <th>last complete sync</th>
          <th>devices</th>
          <th>events</th>
          <th>API calls</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {systems.map((s: SystemStatus) => {
          const counts = props.view.counts[s.system_id] ?? {};
          const partial = s.last_sync && s.last_sync.complete === false ? s.last_sync : null;
          const survey = props.view.surveys.find((x) => x.system_id === s.system_id);
          const version = (s.state.details?.version as string | undefined) ?? (survey?.version ? `${survey.version} (survey)` : null);
          const perHour = s.state.details?.calls_per_hour;
          const planned = survey?.calls_per_hour;
          return (
            <tr key={s.system_id} data-system={s.system_id} data-connection={s.state.connection}>
              <td>
                <b>{s.system_id}</b> <span class="muted">{s.vendor}</span>
              </td>
              <td>
                <span class={`st ${s.state.connection === 'connected' ? 'online' : 'offline'}`}>{s.state.connection}</span>
                {s.state.last_error ? <div class="err">{s.state.last_error}</div> : null}
              </td>
              <td>{version ?? '—'}</td>
              <td>
                {ago(s.last_complete_sync?.finished_at)} {s.last_complete_sync ? <span class="muted">({s.last_complete_sync.devices})</span> : null}
                {s.syncing ? <div class="muted">syncing…</div> : null}
                {partial ? <div class="err">partial: {partial.error ?? 'some types failed'}</div> : null}
              </td>
              <td>
                {Object.entries(counts).map(([k, v]) => (
                  <span key={k} class={`st ${k}`} style="margin-right:3px">
                    {v} {k}
                  </span>
                ))}
              </td>
              <td>{s.state.events ?? '—'}</td>
              <td>{typeof perHour === 'number' ? `${perHour}/h` : planned != null ? `${planned}/h planned (survey)` : '—'}</td>
              <td>
                <button data-action="sync" data-system-id={s.system_id} onClick={() => props.onSync(s.system_id)}>
                  sync now
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Pipeline(props: { services: ServiceView[]; onReplay: () => void }) {
  const f = props.services.find((s) => s.status.forwarder)?.status.forwarder;
  return (
    <div>
      <table>
        <thead>
          <tr>
            <th>service</th>
            <th>health</th>
            <th>version</th>
            <th>up</th>
            <th>memory</th>
          </tr>
        </thead>
        <tbody>
          {props.services.map((s) => (
            <tr key={s.name} data-service={s.name}>
              <td>{s.name}</td>
              <td>
                {s.ready === null ? (
                  '—'
                ) : s.ready.ok ? (
                  <span class="st online">ready</span>
                ) : (
                  <span class="st offline" title={Object.entries(s.ready.checks).filter(([, v]) => v !== true).map(([k, v]) => `${k}: ${String(v)}`).join('; ')}>
                    not ready
                  </span>
                )}
              </td>
              <td>{s.status.service?.version ?? '—'}</td>
              <td>{secs(s.status.service?.uptime_s)}</td>
              <td>{s.status.service?.rss_mb !== undefined ? `${s.status.service.rss_mb} MB` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {f ? (
        <p data-pipeline="forwarder">
          Backlog to the cloud: <b>{f.backlog?.messages ?? 0}</b> messages ({bytes(f.backlog?.bytes)}), oldest {secs(f.backlog?.oldest_age_s)} · DLQ <b>{f.dlq?.messages ?? 0}</b> · cloud circuit{' '}
          {f.circuit?.state ?? '—'} · last delivery {ago(f.last_delivered_at)} · last heartbeat {ago(f.heartbeat?.last_ok_at)}
          {f.alert ? <div class="err">{f.alert}</div> : null}{' '}
          <button data-action="dlq-replay" onClick={props.onReplay}>
            replay DLQ
          </button>
        </p>
      ) : (
        <p class="muted">The forwarder did not answer.</p>
      )}
    </div>
  );
}

function App() {
  const [view, setView] = useState<SiteView | null>(null);
  const [up, setUp] = useState(false);
  const [filters, setFilters] = useState<Filters>({ status: '', type: '', name: '', system: '' });
  const [rows, setRows] = useState<DeviceRow[]>([]);
  const [total, setTotal] = useState(0);
  const [offline, setOffline] = useState<DeviceRow[]>([]);
  const [msg, setMsg] = useState<{ text: string; ok: boolean } | null>(null);
  const [tok, setTok] = useState(token());

  useEffect(() => {
    getJson<SiteView>('/api/view').then(setView, () => undefined);
    return live((v) => setView(v as SiteView), setUp);
  }, []);
  const changeKey = view ? JSON.stringify([view.counts, view.health?.events?.[0]?.timestamp]) : '';
  useEffect(() => {
    getJson<{ devices?: DeviceRow[]; total?: number }>(`/api/devices?${qs(filters)}`).then((r) => {
      setRows(r.devices ?? []);
      setTotal(r.total ?? 0);
    }, () => undefined);
    getJson<{ devices?: DeviceRow[] }>(`/api/devices?${qs({ ...filters, status: 'offline' }, { limit: '200' })}`).then((r) => setOffline(r.devices ?? []), () => undefined);
  }, [changeKey, filters]);

  const act = async (path: string, body: unknown, what: string) => {
    const r = await post(path, body);
    setMsg({ ok: r.ok, text: r.ok ? `${what}: accepted` : `${what} refused (${r.status}): ${String(r.body.error ?? '')}` });
  };
  if (!view) return <p style="padding:20px">Connecting to the box…</p>;
  const timeline = view.health?.timeline ?? {};
  const systems = [...new Set(view.services.flatMap((s) => (s.status.systems ?? []).map((x) => x.system_id)))];
  return (
    <div>
      <header>
        <h1>Edge status · {view.site_id}</h1>
        <span data-live={up ? 'up' : 'down'} class={up ? 'ok' : 'err'}>
          {up ? '● live' : '○ reconnecting'}
        </span>
        <span style="margin-left:auto">
          token{' '}
          <input type="password" aria-label="token" value={tok} onInput={(e) => setTok((e.target as HTMLInputElement).value)} onChange={() => setToken(tok)} size={18} />
        </span>
        {msg ? (
          <span data-msg class={`msg ${msg.ok ? 'ok' : 'err'}`}>
            {msg.text}
          </span>
        ) : null}
      </header>
      <main>
        <section class="wide">
          <h2>Systems</h2>
          <Systems view={view} onSync={(system) => void act('/api/sync', { system }, `sync ${system}`)} />
        </section>
        <section>
          <h2>Outages, last 24 h</h2>
          {Object.entries(timeline)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([s, points]) => (
            <Timeline key={s} system={s} points={points} bucketS={view.health?.bucket_s ?? 300} />
          ))}
          {Object.keys(timeline).length === 0 ? <p class="muted">No history yet.</p> : null}
        </section>
        <section>
          <h2>Latest health events</h2>
          <table data-events>
            <tbody>
              {(view.health?.events ?? []).slice(0, 15).map((e) => (
                <tr key={`${e.device_id}${e.timestamp}${e.status}`}>
                  <td>{ago(e.timestamp)}</td>
                  <td>{e.name ?? e.device_id}</td>
                  <td>
                    <span class={`st ${e.status}`}>{e.status}</span>
                  </td>
                  <td class="muted">{e.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="wide">
          <h2>Devices</h2>
          <div style="display:flex;gap:8px;margin-bottom:8px;flex-wrap:wrap">
            <select aria-label="status" value={filters.status} onChange={(e) => setFilters({ ...filters, status: (e.target as HTMLSelectElement).value })}>
              {STATUSES.map((s) => (
                <option value={s}>{s || 'any status'}</option>
              ))}
            </select>
            <select aria-label="type" value={filters.type} onChange={(e) => setFilters({ ...filters, type: (e.target as HTMLSelectElement).value })}>
              {TYPES.map((s) => (
                <option value={s}>{s || 'any type'}</option>
              ))}
            </select>
            <select aria-label="system" value={filters.system} onChange={(e) => setFilters({ ...filters, system: (e.target as HTMLSelectElement).value })}>
              {['', ...systems].map((s) => (
                <option value={s}>{s || 'any system'}</option>
              ))}
            </select>
            <input aria-label="name" placeholder="name contains…" value={filters.name} onInput={(e) => setFilters({ ...filters, name: (e.target as HTMLInputElement).value })} />
            <span class="muted" data-total={total}>
              {rows.length} shown of {total}
            </span>
          </div>
          <h3>Offline</h3>
          <OfflineList rows={offline} />
          <h3>All</h3>
          <DeviceTree rows={rows} />
        </section>
        <section>
          <h2>Pipeline</h2>
          <Pipeline services={view.services} onReplay={() => void act('/api/dlq/replay', {}, 'DLQ replay')} />
        </section>
        <section>
          <h2>Site surveys</h2>
          {view.surveys.length === 0 ? <p class="muted">None yet: npm run edge -- survey</p> : null}
          <table>
            <tbody>
              {view.surveys.map((s) => (
                <tr key={s.system_id} data-survey={s.system_id}>
                  <td>{s.system_id}</td>
                  <td>{s.verdict.replace(/_/g, ' ')}</td>
                  <td class="muted">{ago(s.generated_at)}</td>
                  <td>
                    <a href={`/surveys/${s.system_id}.html`} target="_blank">
                      view
                    </a>{' '}
                    · <a href={`/surveys/${s.system_id}.html?download`}>HTML</a> · <a href={`/surveys/${s.system_id}.json?download`}>JSON</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </main>
    </div>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);
