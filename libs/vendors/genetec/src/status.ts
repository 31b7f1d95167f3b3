import { randomUUID } from 'node:crypto';
import type { RawPublisher } from '@edge/collector-kit';
import { STATUS_FIELDS } from './constants';
import type { WebSdkClient } from './client/web-sdk-client';
import { listGuids } from './inventory';
import type { Projector } from './projection';
import type { GenetecEntity, GenetecStatusPayloadInput } from './raw-schema';

export interface StatusReadOptions {
  entityTypes: readonly string[];
  pageSize: number;
  chunkRows: number;
  signal: AbortSignal;
}

/**
 * Reads the status fields (IsOnline, RunningState, IsInMaintenance, …) of every entity and
 * publishes them in chunks as `state` payloads timed by the read. The GUIDs come from the last
 * inventory when there is one, else from the report. Returns how many states were published;
 * `onRow` sees each row first (the collector's last-known-state cache).
 */
export async function pollStates(
  client: WebSdkClient,
  projector: Projector,
  raw: RawPublisher,
  known: ReadonlyMap<string, string> | null,
  o: StatusReadOptions,
  reason: string,
  onRow: (row: GenetecEntity, readAt: string) => boolean,
): Promise<number> {
  const pollId = randomUUID();
  let part = 0;
  let published = 0;
  const flush = async (guids: string[]) => {
    for (let i = 0; i < guids.length && !o.signal.aborted; i += o.chunkRows) {
      const readAt = new Date().toISOString();
      const rows = (await projector.read(guids.slice(i, i + o.chunkRows), STATUS_FIELDS, o.signal)).filter((r) => onRow(r, readAt));
      if (rows.length === 0) continue;
      const payload: GenetecStatusPayloadInput = { kind: 'state', pollId, part, reason, readAt, states: rows };
      await raw.status(payload, `state:${pollId}:${part++}`, readAt);
      published += rows.length;
    }
  };
  if (known && known.size > 0) {
    await flush([...known.keys()]);
    return published;
  }
  for (const type of o.entityTypes) {
    for await (const page of listGuids(client, type, o.pageSize, o.signal)) await flush(page);
  }
  return published;
}
