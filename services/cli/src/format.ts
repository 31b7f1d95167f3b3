/** Plain aligned table; cells are cut to `max` characters so one long reason does not wrap everything. */
export function table(headers: string[], rows: Array<Array<string | number | null>>, max = 60): string[] {
  const cells = rows.map((r) => r.map((c) => cut(c === null ? '-' : String(c), max)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(headers), ...cells.map(line)];
}

function cut(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
