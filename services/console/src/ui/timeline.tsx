import type { TimelinePoint } from './types';

/** Offline (red) and degraded (amber) device counts over the last 24 h, one bar pair per bucket. */
export function Timeline(props: { system: string; points: TimelinePoint[]; bucketS: number }) {
  const W = 420;
  const H = 90;
  const now = Date.now();
  const from = now - 24 * 3_600_000;
  const max = Math.max(1, ...props.points.map((p) => p.offline + p.degraded));
  const bw = Math.max(2, (W * props.bucketS * 1000) / (24 * 3_600_000));
  const x = (t: string) => ((Date.parse(t) - from) / (now - from)) * (W - bw);
  const y = (n: number) => (n / max) * (H - 14);
  const worst = props.points.reduce((m, p) => Math.max(m, p.offline), 0);
  return (
    <div data-timeline={props.system} data-max-offline={worst}>
      <div class="muted">
        {props.system}: most offline at once in 24 h: <b>{worst}</b>
      </div>
      <svg width={W} height={H} role="img" aria-label={`outage timeline of ${props.system}`} style="background:#f6f8fa;border-radius:4px">
        {props.points.map((p) => (
          <g key={p.t}>
            <rect x={x(p.t)} y={H - 12 - y(p.offline)} width={bw} height={y(p.offline)} fill="#cf222e">
              <title>{`${p.t}: ${p.offline} offline, ${p.degraded} degraded of ${p.total}`}</title>
            </rect>
            <rect x={x(p.t)} y={H - 12 - y(p.offline) - y(p.degraded)} width={bw} height={y(p.degraded)} fill="#bf8700" />
          </g>
        ))}
        <line x1="0" y1={H - 12} x2={W} y2={H - 12} stroke="#d0d7de" />
        <text x="0" y={H - 1} font-size="10" fill="#57606a">
          24 h ago
        </text>
        <text x={W - 24} y={H - 1} font-size="10" fill="#57606a">
          now
        </text>
      </svg>
    </div>
  );
}
