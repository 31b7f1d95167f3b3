import type { z } from 'zod';
import type { CloudErrorResponse } from '@edge/contracts';

type Items = NonNullable<CloudErrorResponse['items']>;

/**
 * Turns zod issues of a request body into the `items` list of a 400 answer. Item index counts
 * `events` of a health request; for an inventory request `devices` first, then `removed`
 * (index = devices.length + i). Issues outside the item arrays go to `message`.
 */
export function issuesToItems(body: unknown, error: z.ZodError): { items: Items; other: string[] } {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const arr = (k: string): unknown[] => (Array.isArray(b[k]) ? (b[k] as unknown[]) : []);
  const byIndex = new Map<number, Items[number]>();
  const other: string[] = [];
  for (const issue of error.issues) {
    const [head, idx, ...rest] = issue.path;
    if ((head === 'events' || head === 'devices' || head === 'removed') && typeof idx === 'number') {
      const index = head === 'removed' ? arr('devices').length + idx : idx;
      const item = arr(head)[idx] as Record<string, unknown> | undefined;
      const rawId = head === 'events' ? item?.event_id : item?.id;
      const entry = byIndex.get(index) ?? { index, id: typeof rawId === 'string' ? rawId : null, issues: [] };
      entry.issues.push(`${rest.length ? rest.join('.') : '(item)'}: ${issue.message}`);
      byIndex.set(index, entry);
    } else {
      other.push(`${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`);
    }
  }
  return { items: [...byIndex.values()].sort((a, b) => a.index - b.index), other };
}
