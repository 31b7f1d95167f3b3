import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { dotnetTime, type SiteModel } from './model';
import type { SimContext } from './state';
import { G, T, ZERO_GUID, CHILD_TYPES } from './vocabulary';
import type { IdentityProvider } from './idp';

export interface SimEvent {
  specversion: '1.0';
  id: string;
  time: string;
  type: string;
  source: string;
  stategroupid: string;
}

interface Filter {
  modifier: string;
  resourceTypes: string[];
  sourceIds: string[];
  eventTypes: string[];
}

interface Session {
  id: string;
  subscriptions: Map<string, Filter[]>;
  conn: Conn | null;
  disconnectedAt: number | null;
  deliveredSeq: number;
}

interface Conn {
  ws: WebSocket;
  authed: boolean;
  session: Session | null;
  pending: SimEvent[];
  flushing: boolean;
}

/**
 * Resource types the Events and State API documents for subscription filters ("hardware",
 * "cameras", "microphones", "outputs", "inputEvents", "userDefinedEvents", "etc." — Milestone's
 * protocol samples, EventsAndStateWebSocketApiPython/ess_api.py `create_subscription`). A strict
 * server (switch `strictSubscriptions`) refuses anything else.
 */
export const DOCUMENTED_RESOURCE_TYPES = new Set(['hardware', 'cameras', 'microphones', 'outputs', 'inputevents', 'userdefinedevents']);

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase()) : [];
}

function toFilter(v: unknown): Filter | null {
  if (v === null || typeof v !== 'object') return null;
  const f = v as Record<string, unknown>;
  return { modifier: String(f.modifier ?? 'include').toLowerCase(), resourceTypes: list(f.resourceTypes), sourceIds: list(f.sourceIds), eventTypes: list(f.eventTypes) };
}

function hit(values: string[], v: string): boolean {
  return values.includes('*') || values.includes(v);
}

/** Include/exclude semantics of §5.2; an empty filter list matches nothing (§5.2: "no events"). */
export function matches(filters: Filter[], resourceType: string, sourceId: string, type: string): boolean {
  let included = false;
  for (const f of filters) {
    if (!(hit(f.resourceTypes, resourceType) && hit(f.sourceIds, sourceId) && hit(f.eventTypes, type))) continue;
    if (f.modifier === 'exclude') return false;
    included = true;
  }
  return included;
}

function splitSource(source: string): [string, string] {
  const i = source.indexOf('/');
  return [source.slice(0, i).toLowerCase(), source.slice(i + 1).toLowerCase()];
}

/**
 * Events and State WebSocket API: sessions that survive a drop for the resume window and
 * replay what was missed, subscriptions with include/exclude filters, getState rows with the
 * all-zero id, pushed `{"events":[…]}` frames (several events per frame), command replies by
 * `commandId` with HTTP-like status, and a close on a malformed command (§5).
 */
export class EssHub {
  private readonly sessions = new Map<string, Session>();
  private readonly conns = new Set<Conn>();
  private journal: Array<{ seq: number; ev: SimEvent }> = [];
  private readonly seqOf = new Map<string, number>();
  private seq = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly ctx: SimContext,
    private readonly idp: IdentityProvider,
    private readonly o: { resumeWindowMs: number; journalSize: number },
  ) {
    this.sweeper = setInterval(() => this.sweep(), 5_000);
    this.sweeper.unref();
  }

  get model(): SiteModel {
    return this.ctx.model;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  setResumeWindow(ms: number): void {
    this.o.resumeWindowMs = ms;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const c of this.conns) c.ws.terminate();
  }

  /** Abruptly drops every socket (network blip / gateway recycle); sessions stay resumable. */
  dropAll(): number {
    const n = this.conns.size;
    for (const c of this.conns) c.ws.terminate();
    return n;
  }

  attach(ws: WebSocket, authedByHeader: boolean): void {
    const conn: Conn = { ws, authed: authedByHeader, session: null, pending: [], flushing: false };
    this.conns.add(conn);
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      let cmd: Record<string, unknown> | null = null;
      try {
        const parsed = JSON.parse(text) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) cmd = parsed as Record<string, unknown>;
      } catch {}
      if (!cmd || typeof cmd.command !== 'string' || cmd.commandId === undefined) {
        this.ctx.stats.malformedClosed++;
        ws.close(1008, 'malformed command');
        return;
      }
      void this.handle(conn, cmd);
    });
    ws.on('close', () => {
      this.conns.delete(conn);
      const s = conn.session;
      if (s && s.conn === conn) {
        s.conn = null;
        s.disconnectedAt = Date.now();
      }
    });
    ws.on('error', () => undefined);
  }

  private reply(conn: Conn, body: Record<string, unknown>): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(body));
  }

  private async handle(conn: Conn, cmd: Record<string, unknown>): Promise<void> {
    const commandId = cmd.commandId;
    const command = String(cmd.command);
    const err = (status: number, errorText: string) => this.reply(conn, { commandId, status, error: { errorText } });
    if (!conn.authed) {
      if (command !== 'authenticate') {
        err(401, 'Not authenticated');
        conn.ws.close(1008, 'not authenticated');
        return;
      }
      const token = String(cmd.token ?? '');
      const ok = this.idp.check(/^bearer\s/i.test(token) ? token : `Bearer ${token}`) === 'ok';
      if (!ok) {
        err(401, 'Token validation failed');
        return;
      }
      conn.authed = true;
      this.reply(conn, { commandId, status: 200 });
      return;
    }
    switch (command) {
      case 'authenticate':
        this.reply(conn, { commandId, status: 200 });
        return;
      case 'startSession':
        return this.startSession(conn, commandId, String(cmd.sessionId ?? ''), String(cmd.eventId ?? ''));
      case 'addSubscription': {
        if (!conn.session) return err(400, 'No session. Call startSession first.');
        const filters = Array.isArray(cmd.filters) ? cmd.filters.map(toFilter).filter((f): f is Filter => f !== null) : [];
        if (this.ctx.faults.failAddSubscription > 0) {
          this.ctx.faults.failAddSubscription--;
          this.ctx.stats.subscriptionsFailed++;
          return err(500, 'Internal server error while creating the subscription');
        }
        const outside = this.ctx.faults.strictSubscriptions ? filters.flatMap((f) => f.resourceTypes).find((t) => t !== '*' && !DOCUMENTED_RESOURCE_TYPES.has(t)) : undefined;
        if (outside !== undefined) {
          this.ctx.stats.subscriptionsRefused++;
          return err(400, `Invalid resource type: ${outside}`);
        }
        const subscriptionId = randomUUID();
        conn.session.subscriptions.set(subscriptionId, filters);
        this.reply(conn, { commandId, status: 200, subscriptionId });
        return;
      }
      case 'removeSubscription': {
        if (!conn.session) return err(400, 'No session. Call startSession first.');
        const ok = conn.session.subscriptions.delete(String(cmd.subscriptionId ?? ''));
        return ok ? this.reply(conn, { commandId, status: 200 }) : err(404, 'Subscription not found');
      }
      case 'getState': {
        if (!conn.session) return err(400, 'No session. Call startSession first.');
        this.ctx.stats.getStateCalls++;
        const session = conn.session;
        const delay = this.ctx.faults.slowGetStateMs;
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        this.reply(conn, { commandId, status: 200, states: this.stateRows(session) });
        return;
      }
      default:
        return err(400, `Unknown command: ${command}`);
    }
  }

  private startSession(conn: Conn, commandId: unknown, sessionId: string, eventId: string): void {
    const prior = sessionId ? this.sessions.get(sessionId) : undefined;
    const withinWindow = prior && prior.conn === null && prior.disconnectedAt !== null && Date.now() - prior.disconnectedAt <= this.o.resumeWindowMs;
    if (prior && withinWindow && this.ctx.faults.refuseResume <= 0) {
      if (conn.session && conn.session !== prior) conn.session.conn = null;
      prior.conn = conn;
      prior.disconnectedAt = null;
      conn.session = prior;
      this.ctx.stats.sessionsResumed++;
      this.reply(conn, { commandId, status: 200, sessionId: prior.id });
      this.replay(prior, eventId);
      return;
    }
    if (sessionId) {
      if (prior && withinWindow) this.ctx.faults.refuseResume--;
      this.ctx.stats.resumesRefused++;
      if (prior) this.sessions.delete(prior.id);
    }
    const s: Session = { id: randomUUID(), subscriptions: new Map(), conn, disconnectedAt: null, deliveredSeq: this.seq };
    if (conn.session) conn.session.conn = null;
    conn.session = s;
    this.sessions.set(s.id, s);
    this.ctx.stats.sessionsCreated++;
    this.reply(conn, { commandId, status: 201, sessionId: s.id });
  }

  /** Events after `eventId` (or after what the session last got) that match its subscriptions. */
  private replay(s: Session, eventId: string): void {
    const from = (eventId && this.seqOf.get(eventId.toLowerCase())) || s.deliveredSeq;
    const missed = this.journal.filter((j) => j.seq > from && this.sessionWants(s, j.ev)).map((j) => j.ev);
    for (let i = 0; i < missed.length; i += 500) this.send(s, missed.slice(i, i + 500));
    s.deliveredSeq = this.seq;
  }

  private sessionWants(s: Session, ev: SimEvent): boolean {
    const [rt, id] = splitSource(ev.source);
    for (const f of s.subscriptions.values()) if (matches(f, rt, id, ev.type)) return true;
    return false;
  }

  private send(s: Session, events: SimEvent[]): void {
    const c = s.conn;
    if (c && c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify({ events }));
  }

  /** Emits one event: journal (for replay), then every live session that subscribed to it. */
  emit(source: string, type: string, stategroupid: string): SimEvent {
    const ms = Date.now();
    const ev: SimEvent = { specversion: '1.0', id: randomUUID(), time: dotnetTime(ms, Math.random() * 10000), type, source, stategroupid };
    const seq = ++this.seq;
    this.journal.push({ seq, ev });
    this.seqOf.set(ev.id, seq);
    if (this.journal.length > this.o.journalSize) {
      const drop = this.journal.splice(0, this.journal.length - this.o.journalSize);
      for (const d of drop) this.seqOf.delete(d.ev.id);
    }
    this.ctx.stats.eventsEmitted++;
    for (const s of this.sessions.values()) {
      const c = s.conn;
      if (!c || !this.sessionWants(s, ev)) continue;
      c.pending.push(ev);
      if (!c.flushing) {
        c.flushing = true;
        // Events emitted in the same tick share a frame, as the gateway batches them.
        setImmediate(() => {
          c.flushing = false;
          const batch = c.pending.splice(0);
          if (batch.length && c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify({ events: batch }));
          if (c.session) c.session.deliveredSeq = this.seq;
        });
      }
    }
    return ev;
  }

  /** getState: one row per (source, state group) of the subscriptions, `id` all zeros. */
  private stateRows(s: Session): SimEvent[] {
    const rows: SimEvent[] = [];
    const subs = [...s.subscriptions.values()];
    const want = (rt: string, id: string, type: string) => subs.some((f) => matches(f, rt.toLowerCase(), id, type));
    const row = (source: string, type: string, group: string, time: string) => rows.push({ specversion: '1.0', type, source, id: ZERO_GUID, time, stategroupid: group });
    const m = this.model;
    for (const rs of m.recordingServers) {
      const st = m.rsState.get(rs.id)!;
      const type = st.state === 'responding' ? T.rsResponding : T.rsNotResponding;
      if (want('recordingServers', rs.id, type)) row(`recordingServers/${rs.id}`, type, G.recordingServerState, st.time);
    }
    for (const hw of m.hardware) {
      const st = m.comm.get(`hardware/${hw.id}`)!;
      const type = st.state === 'started' ? T.hardwareStarted : st.state === 'error' ? T.hardwareError : T.hardwareStopped;
      if (want('hardware', hw.id, type)) row(`hardware/${hw.id}`, type, G.hardwareCommunication, st.time);
    }
    for (const t of CHILD_TYPES) {
      for (const d of m.children[t]) {
        const st = m.comm.get(`${t}/${d.id}`)!;
        const type = st.state === 'started' ? T.deviceStarted : st.state === 'error' ? T.deviceError : T.deviceStopped;
        if (want(t, d.id, type)) row(`${t}/${d.id}`, type, G.deviceCommunication, st.time);
        if (t === 'cameras') {
          const aux = m.cameraAux.get(d.id);
          if (aux && want(t, d.id, aux.recording)) row(`cameras/${d.id}`, aux.recording, G.recording, aux.time);
          if (aux && want(t, d.id, aux.motion)) row(`cameras/${d.id}`, aux.motion, G.motion, aux.time.replace(/(\.\d{3})\d{4}Z$/, '$1Z'));
        }
      }
    }
    return rows;
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) if (s.conn === null && s.disconnectedAt !== null && now - s.disconnectedAt > this.o.resumeWindowMs) this.sessions.delete(s.id);
  }
}
