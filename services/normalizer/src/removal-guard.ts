import { z } from 'zod';
import { UtcTimestamp } from '@edge/contracts';

/** Removals held back by the guard: the devices that sync `sync_id` did not list. */
export const HeldRemovals = z.object({
  sync_id: z.string(),
  /** Raw sequence of that sync's begin: devices first listed after it are newer than its listing. */
  begin_seq: z.number().int().nonnegative().nullable(),
  count: z.number().int().nonnegative(),
  /** Devices of the system listed before that sync. */
  of: z.number().int().nonnegative(),
  held_at: UtcTimestamp,
});
export type HeldRemovals = z.infer<typeof HeldRemovals>;

export interface RemovalGuardSettings {
  max_fraction: number;
  min_devices: number;
}

/** What a removal candidate needs to be judged: the last sync that listed it. */
export interface Candidate {
  last_sync_id: string | null;
}

/**
 * Decides which of a complete sync's removals happen now (decide first, then do IO). A listing
 * can shrink without devices being gone — a service account that lost rights sees less, a
 * server that ignores paging answers short — so a sync that would remove more than
 * `max_fraction` of a system's devices and more than `min_devices` holds them. The next
 * complete sync confirms them: devices that neither it nor the held sync listed are removed;
 * those it lists again simply stay. `edge sync --confirm-removals <system>` applies a hold at once.
 */
export function guardRemovals<T extends Candidate>(o: { candidates: T[]; total: number; held: HeldRemovals | null; settings: RemovalGuardSettings }): { remove: T[]; held: T[] } {
  const confirmed = o.held ? o.candidates.filter((e) => e.last_sync_id !== o.held!.sync_id) : [];
  const fresh = o.held ? o.candidates.filter((e) => e.last_sync_id === o.held!.sync_id) : o.candidates;
  const tooMany = fresh.length > o.settings.max_fraction * o.total && fresh.length > o.settings.min_devices;
  return tooMany ? { remove: confirmed, held: fresh } : { remove: [...confirmed, ...fresh], held: [] };
}

/** The line /status, the log and the heartbeat show while removals are held. */
export function heldNotice(systemId: string, h: HeldRemovals): string {
  return `${h.count} of ${h.of} devices missing from sync ${h.sync_id} are held, not removed (removal guard); the next complete sync confirms them, or run: edge sync --confirm-removals ${systemId}`;
}
