import type { DeviceRow } from './types';
import { ago, STATUS_COLOR } from './format';

function Row(props: { d: DeviceRow }) {
  const d = props.d;
  return (
    <span data-device-id={d.id} data-status={d.status}>
      <span class="dot" style={`background:${STATUS_COLOR[d.status] ?? '#8c959f'}`} />
      {d.device?.name ?? d.id} <span class="muted">{d.device?.type ?? ''}</span> <span class={`st ${d.status}`}>{d.status}</span>
      {d.status !== 'online' && d.reason ? <span class="muted"> {d.reason}</span> : null}
    </span>
  );
}

/** Offline devices first: what a technician walks to. */
export function OfflineList(props: { rows: DeviceRow[] }) {
  if (props.rows.length === 0) return <p class="muted" data-offline-count="0">No device is offline.</p>;
  return (
    <table data-offline-count={props.rows.length}>
      <tbody>
        {props.rows.map((d) => (
          <tr key={d.id}>
            <td>
              <Row d={d} />
            </td>
            <td class="muted">{d.system_id}</td>
            <td class="muted">since {ago(d.status_changed_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Systems → top-level devices (panels, recorders) → their children, as far as the parent links go. */
export function DeviceTree(props: { rows: DeviceRow[] }) {
  const byId = new Map(props.rows.map((d) => [d.id, d]));
  const kids = new Map<string, DeviceRow[]>();
  const roots = new Map<string, DeviceRow[]>();
  for (const d of props.rows) {
    const p = d.device?.parent_id;
    if (p && byId.has(p)) kids.set(p, [...(kids.get(p) ?? []), d]);
    else roots.set(d.system_id, [...(roots.get(d.system_id) ?? []), d]);
  }
  const node = (d: DeviceRow, depth: number) => (
    <li key={d.id}>
      <Row d={d} />
      {depth < 4 && kids.has(d.id) ? <ul>{kids.get(d.id)!.map((c) => node(c, depth + 1))}</ul> : null}
    </li>
  );
  return (
    <div class="tree">
      {[...roots.entries()].map(([system, list]) => (
        <details open key={system}>
          <summary>
            <b>{system}</b> <span class="muted">{list.length} top-level</span>
          </summary>
          <ul>{list.map((d) => node(d, 0))}</ul>
        </details>
      ))}
    </div>
  );
}
