/**
 * The filter grammar subset of OpenAccess (reference §2.3 [I]): `=`, `!=`, `<>`, `<`, `>`, `<=`,
 * `>=`, `like` with `%`, `AND`/`OR`, parentheses, `null`; property names case-insensitive; strings
 * in double (or single) quotes. Event-subscription filters use the OData-like words
 * (`business_event_class eq 'hardware_event'`, §5.2): `eq ne gt lt ge le`.
 */

export type Predicate = (row: Record<string, unknown>) => boolean;

export class FilterError extends Error {}

type Tok = { t: 'id' | 'str' | 'num' | 'op' | 'lp' | 'rp' | 'and' | 'or' | 'null' | 'bool'; v: string };

const WORD_OPS: Record<string, string> = { eq: '=', ne: '!=', gt: '>', lt: '<', ge: '>=', le: '<=', like: 'like' };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      out.push({ t: 'lp', v: c });
      i++;
      continue;
    }
    if (c === ')') {
      out.push({ t: 'rp', v: c });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) s += src[j++];
      if (j >= src.length) throw new FilterError(`unterminated string at ${i}`);
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(src.slice(i));
    if (op) {
      out.push({ t: 'op', v: op[1] === '<>' ? '!=' : op[1] });
      i += op[1].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num && (out.length === 0 || out[out.length - 1].t === 'op')) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (word) {
      const w = word[0];
      const lw = w.toLowerCase();
      if (lw === 'and') out.push({ t: 'and', v: w });
      else if (lw === 'or') out.push({ t: 'or', v: w });
      else if (lw === 'null') out.push({ t: 'null', v: w });
      else if (lw === 'true' || lw === 'false') out.push({ t: 'bool', v: lw });
      else if (WORD_OPS[lw] && out.length > 0 && out[out.length - 1].t === 'id') out.push({ t: 'op', v: WORD_OPS[lw] });
      else out.push({ t: 'id', v: w });
      i += w.length;
      continue;
    }
    throw new FilterError(`unexpected "${c}" at ${i}`);
  }
  return out;
}

function getCi(row: Record<string, unknown>, key: string): unknown {
  if (key in row) return row[key];
  const lk = key.toLowerCase();
  for (const k of Object.keys(row)) if (k.toLowerCase() === lk) return row[k];
  return undefined;
}

function compare(a: unknown, op: string, b: string | number | boolean | null): boolean {
  if (b === null) {
    const isNull = a === null || a === undefined;
    if (op === '=') return isNull;
    if (op === '!=') return !isNull;
    return false;
  }
  if (a === undefined || a === null) return op === '!=';
  if (op === 'like') {
    const re = new RegExp(`^${String(b).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 'i');
    return re.test(String(a));
  }
  let x: string | number | boolean = typeof a === 'number' || typeof a === 'boolean' ? a : String(a);
  let y: string | number | boolean = b;
  if (typeof y === 'number' || (typeof x === 'number' && typeof y === 'string' && /^-?\d+(\.\d+)?$/.test(y))) {
    x = Number(x);
    y = Number(y);
  } else if (typeof x === 'boolean' || typeof y === 'boolean') {
    x = String(x).toLowerCase();
    y = String(y).toLowerCase();
  } else {
    x = String(x).toLowerCase();
    y = String(y).toLowerCase();
  }
  switch (op) {
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    case '>=':
      return x >= y;
  }
  return false;
}

/** Parses a filter into a predicate; an empty filter matches everything. Throws FilterError. */
export function parseFilter(src: string | undefined | null): Predicate {
  if (!src || src.trim() === '') return () => true;
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const orExpr = (): Predicate => {
    let left = andExpr();
    while (peek()?.t === 'or') {
      i++;
      const l = left;
      const r = andExpr();
      left = (row) => l(row) || r(row);
    }
    return left;
  };
  const andExpr = (): Predicate => {
    let left = unary();
    while (peek()?.t === 'and') {
      i++;
      const l = left;
      const r = unary();
      left = (row) => l(row) && r(row);
    }
    return left;
  };
  const unary = (): Predicate => {
    const t = peek();
    if (!t) throw new FilterError('unexpected end of filter');
    if (t.t === 'lp') {
      i++;
      const e = orExpr();
      if (peek()?.t !== 'rp') throw new FilterError('missing ")"');
      i++;
      return e;
    }
    if (t.t !== 'id') throw new FilterError(`expected a property name, got "${t.v}"`);
    i++;
    const op = peek();
    if (!op || op.t !== 'op') throw new FilterError(`expected an operator after "${t.v}"`);
    i++;
    const val = peek();
    if (!val) throw new FilterError('expected a value');
    i++;
    let v: string | number | boolean | null;
    if (val.t === 'str') v = val.v;
    else if (val.t === 'num') v = Number(val.v);
    else if (val.t === 'null') v = null;
    else if (val.t === 'bool') v = val.v === 'true';
    else if (val.t === 'id') v = val.v; // bare word: compared as text
    else throw new FilterError(`unexpected "${val.v}"`);
    const name = t.v;
    const o = op.v;
    return (row) => compare(getCi(row, name), o, v);
  };
  const p = orExpr();
  if (i !== toks.length) throw new FilterError(`unexpected "${toks[i].v}"`);
  return p;
}
