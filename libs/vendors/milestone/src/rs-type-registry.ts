import type { Logger } from 'pino';
import { describeError, errorKind } from '@edge/platform';
import type { ConfigApiClient } from './client/config-api-client';
import type { MilestoneConfig } from './config';
import { parseSource } from './constants';
import { subscriptionGroups } from './events-ws/filters';
import { classifyResponding, discoverFromConfig, discoverFromState, NO_RS_TYPES, type RsTypes } from './events-ws/rs-event-types';
import type { EssEvent } from './raw-schema';

/**
 * What the collector knows of the recording-server "responding" / "not responding" event types
 * (not public constants): from config, discovered from `/eventTypes`, learnt from getState rows or
 * from a single event of a type not seen yet. Decides which groups are subscribed.
 */
export class RsTypeRegistry {
  types: RsTypes = { ...NO_RS_TYPES };
  private readonly not = new Set<string>();

  constructor(
    private readonly api: ConfigApiClient,
    private readonly cfg: MilestoneConfig,
    private readonly log: Logger,
  ) {
    const rt = cfg.recording_server_event_types;
    if (rt && (rt.responding.length || rt.not_responding.length)) this.types = { responding: rt.responding, notResponding: rt.not_responding, source: 'config' };
  }

  /** The types as the mapper's context carries them. */
  get meaning(): { responding: string[]; notResponding: string[] } {
    return { responding: this.types.responding, notResponding: this.types.notResponding };
  }

  isRsType(type: string): boolean {
    const t = type.toLowerCase();
    return this.types.responding.includes(t) || this.types.notResponding.includes(t);
  }

  /** A recording-server event of a type whose meaning is still to be resolved. */
  needsResolving(ev: EssEvent): boolean {
    const src = parseSource(ev.source);
    return src?.resourceType === 'recordingServers' && !this.isRsType(ev.type) && this.types.source !== 'config' && !this.not.has(ev.type.toLowerCase());
  }

  /** Subscription groups: recording-server types once both meanings are known. */
  subscriptions() {
    const known = this.types.source === 'config' || (this.types.responding.length > 0 && this.types.notResponding.length > 0);
    return subscriptionGroups({
      childTypes: this.cfg.child_types,
      recordingServerTypes: known ? [...this.types.responding, ...this.types.notResponding] : null,
      includeRecordingServers: true,
    });
  }

  /** Resolves the meaning of one event type through `/eventTypes/<id>`. */
  async resolve(type: string): Promise<void> {
    const t = type.toLowerCase();
    if (this.isRsType(t) || this.not.has(t)) return;
    const et = await this.api.getData(`eventTypes/${encodeURIComponent(t)}`, undefined, AbortSignal.timeout(15_000)).catch(() => null);
    const c = et ? classifyResponding(et) : null;
    if (!c) {
      this.not.add(t);
      return;
    }
    this.types = { ...this.types, [c]: [...this.types[c], t], source: this.types.source === 'none' ? 'state' : this.types.source };
    this.log.info({ type: t, meaning: c }, 'recording-server event type resolved from an event');
  }

  /** Learns types from the recording-server rows of a getState answer. */
  async learnFromRows(rows: EssEvent[]): Promise<void> {
    if (this.types.source === 'config') return;
    const unknown = rows.filter((r) => parseSource(r.source)?.resourceType === 'recordingServers' && !this.isRsType(r.type) && !this.not.has(r.type.toLowerCase()));
    if (unknown.length === 0) return;
    const found = await discoverFromState(unknown, this.api, AbortSignal.timeout(30_000)).catch(() => null);
    if (!found) return;
    for (const r of unknown) {
      const t = r.type.toLowerCase();
      if (!found.responding.includes(t) && !found.notResponding.includes(t)) this.not.add(t);
    }
    if (found.source === 'none') return;
    this.merge(found, 'state');
    this.log.info({ recording_server_event_types: this.types }, 'recording-server event types learnt from getState');
  }

  /** Discovers the types from the configuration API; resolves with an auth error's description, else null. */
  async discover(): Promise<string | null> {
    if (this.types.source === 'config') return null;
    try {
      const found = await discoverFromConfig(this.api, AbortSignal.timeout(20_000));
      if (found.source === 'none') return null;
      this.merge(found, found.source);
      this.log.info({ recording_server_event_types: this.types }, 'recording-server event types discovered');
      return null;
    } catch (e) {
      this.log.warn({ err: describeError(e) }, 'recording-server event type discovery failed; will retry at the next status poll');
      return errorKind(e) === 'auth' ? describeError(e) : null;
    }
  }

  private merge(found: RsTypes, source: RsTypes['source']): void {
    this.types = {
      responding: [...new Set([...this.types.responding, ...found.responding])],
      notResponding: [...new Set([...this.types.notResponding, ...found.notResponding])],
      source: this.types.source === 'none' ? source : this.types.source,
    };
  }
}
