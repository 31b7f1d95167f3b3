/**
 * Waits for a condition, with a deadline long enough that only a real hang reaches it: tests
 * run on shared, busy machines, so their verdict must never depend on how fast this one is.
 */
export const TEST_DEADLINE_MS = 120_000;

export async function waitUntil<T>(what: string, cond: () => T | Promise<T>, timeoutMs = TEST_DEADLINE_MS, stepMs = 25): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
