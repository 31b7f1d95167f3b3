import { describeError, type EdgeError } from '@edge/platform';
import type { Logger } from 'pino';
import { GENETEC_ERRORS } from './client/errors';
import { guidInQuery } from './client/urls';
import type { WebSdkClient } from './client/web-sdk-client';
import { GenetecEntity } from './raw-schema';

export interface ProjectionOptions {
  batch: number;
  concurrency: number;
  log: Logger;
}

function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  return result && typeof result === 'object' ? [result] : [];
}

/**
 * Reads fields of many entities with `/entity?q=entity={guid},F1,F2,entity={guid2},F1,F2`: one
 * call per batch, batches in parallel (bounded). A projection returns only the fields it names
 * (Genetec DAP wiki, "Web SDK Entity Operations",
 * https://github.com/Genetec/DAP/wiki/Web-SDK-Entity-Operations). Rows that fail the schema are
 * counted and skipped, never guessed.
 */
export class Projector {
  invalidRows = 0;

  constructor(
    private readonly client: WebSdkClient,
    private readonly o: ProjectionOptions,
  ) {}

  private async one(guids: string[], fields: readonly string[], signal?: AbortSignal): Promise<GenetecEntity[]> {
    const f = fields.join(',');
    const q = guids.map((g) => `entity=${guidInQuery(g)},${f}`).join(',');
    const { result } = await this.client.get(`entity?q=${encodeURIComponent(q)}`, signal);
    const out: GenetecEntity[] = [];
    for (const row of rowsOf(result)) {
      const e = GenetecEntity.safeParse(row);
      if (e.success) out.push(e.data);
      else this.invalidRows++;
    }
    return out;
  }

  /** Entities of `guids` with `fields`, in input order of batches. */
  async read(guids: string[], fields: readonly string[], signal?: AbortSignal): Promise<GenetecEntity[]> {
    const batches: string[][] = [];
    for (let i = 0; i < guids.length; i += this.o.batch) batches.push(guids.slice(i, i + this.o.batch));
    const out: GenetecEntity[] = [];
    for (let i = 0; i < batches.length; i += this.o.concurrency) {
      const part = await Promise.all(batches.slice(i, i + this.o.concurrency).map((b) => this.one(b, fields, signal)));
      for (const rows of part) out.push(...rows);
    }
    return out;
  }

  /**
   * Like `read`, with `extra` fields when the server accepts them. A server that refuses a field
   * name (the names of network fields are inference) answers Fail: that type is then read with
   * the base fields, and `refused` remembers it.
   */
  async readWithExtras(type: string, guids: string[], base: readonly string[], extra: readonly string[], refused: Set<string>, signal?: AbortSignal): Promise<GenetecEntity[]> {
    if (extra.length === 0 || refused.has(type)) return this.read(guids, base, signal);
    try {
      return await this.read(guids, [...base, ...extra], signal);
    } catch (e) {
      if ((e as EdgeError).code !== GENETEC_ERRORS.failed) throw e;
      refused.add(type);
      this.o.log.warn({ type, extra, err: describeError(e) }, 'the Web SDK refused extra fields of this type; reading it without them');
      return this.read(guids, base, signal);
    }
  }
}
