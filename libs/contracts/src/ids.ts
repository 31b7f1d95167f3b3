import { createHash } from 'node:crypto';

/** Short, stable content hash used for deterministic ids (msg-ids, event ids, idempotency keys). */
export function stableHash(...parts: Array<string | number | null | undefined>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p === null || p === undefined ? '\u0000' : String(p));
    h.update('\u001f');
  }
  return h.digest('base64url').slice(0, 22);
}
