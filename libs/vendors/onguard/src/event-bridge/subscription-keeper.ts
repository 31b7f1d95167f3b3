import type { Logger } from 'pino';
import { z } from 'zod';
import type { StateStore } from '@edge/platform';
import { OpenAccessError } from '../client/errors';
import type { OpenAccessClient } from '../client/openaccess-client';
import { EventSubscription } from '../raw-schema';

const PagedSubscriptions = z.looseObject({
  item_list: z.array(z.unknown()).optional(),
  total_pages: z.number().int().optional(),
  count: z.number().int().optional(),
});

const STATE_KEY = 'event_subscription';
const MAX_PAGES = 50;

/**
 * The event subscription as a server resource (reference §5.2): created once, kept by id in the
 * collector's durable state, reused on every reconnect, deleted on a clean stop. Lenel's C# event
 * subscriber creates it with `POST /event_subscriptions` and attaches with the hub's
 * `ModifySubscription` (paulosouza881/EventSubscriber Program.cs, WebEventSubscriber.cs); the 7.5
 * swagger has `GET/POST /event_subscriptions` and `DELETE /event_subscriptions/{id}`
 * (tractionguest/lenel-sdk swagger.yaml). Subscriptions this collector left behind (a crash, a
 * lost state) are found by their description, which names the site and the system.
 */
export class SubscriptionKeeper {
  private sub: EventSubscription | null = null;
  private loaded = false;
  readonly description: string;

  constructor(
    private readonly client: OpenAccessClient,
    private readonly store: StateStore | null,
    private readonly o: { description: string; filter: string; site: string; system: string },
    private readonly log: Logger,
  ) {
    this.description = `${o.description} (site ${o.site}, system ${o.system})`;
  }

  get id(): string | null {
    return this.sub ? String(this.sub.id) : null;
  }

  /** The subscription argument of the hub calls (`ModifySubscription`, `ConnectionHeartbeat`). */
  arg(): Record<string, unknown> {
    return { ...(this.sub ? { id: this.sub.id } : {}), description: this.description, filter: this.o.filter, is_durable: false };
  }

  /** The subscription to attach to: the one kept (memory, then durable state), else a new one. */
  async current(): Promise<EventSubscription> {
    if (!this.loaded) {
      this.loaded = true;
      const saved = await this.store?.get(STATE_KEY).catch(() => null);
      if (saved) this.sub = { id: /^\d+$/.test(saved) ? Number(saved) : saved, description: this.description, filter: this.o.filter, is_durable: false };
      await this.removeStale();
    }
    return this.sub ?? this.create();
  }

  /** The server says the subscription does not exist (deleted there): the next `current()` creates one. */
  forget(): void {
    this.sub = null;
    void this.store?.delete(STATE_KEY).catch(() => undefined);
  }

  /** What the hub returned for it (the server's view of the same id). */
  adopt(r: unknown): void {
    const p = EventSubscription.safeParse(r);
    if (p.success) this.sub = p.data;
  }

  private async create(): Promise<EventSubscription> {
    const sub = await this.client.request({
      method: 'POST',
      path: '/event_subscriptions',
      body: { description: this.description, filter: this.o.filter, is_durable: false },
      schema: EventSubscription,
    });
    this.sub = sub;
    await this.store?.put(STATE_KEY, String(sub.id)).catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'could not keep the event subscription id; a restart will find it by its description'));
    this.log.info({ subscription_id: sub.id }, 'event subscription created');
    return sub;
  }

  /** Deletes subscriptions with this collector's description other than the one kept. */
  private async removeStale(): Promise<void> {
    const stale: string[] = [];
    try {
      for (let page = 1; page <= MAX_PAGES; page++) {
        const r = await this.client.request({ method: 'GET', path: '/event_subscriptions', query: { page_number: page, page_size: 100 }, schema: PagedSubscriptions });
        for (const raw of r.item_list ?? []) {
          const s = EventSubscription.safeParse(raw);
          if (s.success && s.data.description === this.description && String(s.data.id) !== this.id) stale.push(String(s.data.id));
        }
        if ((r.item_list ?? []).length === 0 || page >= (r.total_pages ?? 1)) break;
      }
    } catch (e) {
      this.log.info({ err: (e as Error).message }, 'could not list event subscriptions; stale ones of this collector are not removed now');
      return;
    }
    for (const id of stale) await this.deleteOnServer(id, 'stale event subscription of this collector removed');
  }

  private async deleteOnServer(id: string, what: string): Promise<boolean> {
    try {
      await this.client.request({ method: 'DELETE', path: `/event_subscriptions/${encodeURIComponent(id)}`, schema: z.unknown(), idempotent: true });
      this.log.info({ subscription_id: id }, what);
      return true;
    } catch (e) {
      if (e instanceof OpenAccessError && e.details.oaCode === 'system.not_found') return true;
      this.log.warn({ subscription_id: id, err: (e as Error).message }, 'could not delete an event subscription');
      return false;
    }
  }

  /** Clean stop: the subscription is deleted on the server and forgotten here. */
  async remove(): Promise<void> {
    const id = this.id;
    if (!id) return;
    if (await this.deleteOnServer(id, 'event subscription deleted')) {
      this.sub = null;
      await this.store?.delete(STATE_KEY).catch(() => undefined);
    }
  }
}
