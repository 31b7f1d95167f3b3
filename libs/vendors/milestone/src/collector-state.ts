import type { CollectorState } from '@edge/collector-kit';
import type { IdpAuth } from './client/idp-auth';
import type { EventStream } from './events-ws/event-stream';
import type { LiveStateGate } from './live-state';

/**
 * The collector's /status entry from its parts: connection (auth refusal first, then the events
 * socket; below 2023 R3 the REST API alone), notices for the cloud, and the details a
 * technician needs (version, live state, baseline in progress, refused subscriptions, token…).
 */
export function collectorState(p: {
  stream: EventStream;
  auth: IdpAuth;
  live: LiveStateGate;
  lastError: string | null;
  details: Record<string, unknown>;
}): CollectorState {
  const s = p.stream.state();
  const auth = p.auth.state();
  const unsupported = p.live.unsupported;
  const connection = auth.refused
    ? 'auth_failed'
    : s.events === 'subscribed' || (unsupported && p.lastError === null)
      ? 'connected'
      : s.events === 'auth_failed'
        ? 'auth_failed'
        : s.events === 'stopped'
          ? 'disconnected'
          : 'connecting';
  const progress = s.get_state_in_progress;
  return {
    connection,
    events: unsupported ? 'unsupported' : s.events,
    last_error: auth.refused ?? (s.events === 'subscribed' || unsupported ? p.lastError : (s.last_error ?? p.lastError)),
    notices: [p.live.notice()].filter((n): n is string => n !== null),
    details: {
      version: p.live.version?.raw ?? null,
      release: p.live.version?.release ?? null,
      live_state: p.live.notice() ?? (p.live.supported ? 'available' : 'unknown'),
      baseline: progress ? `getState in progress since ${progress.since} (timeout ${Math.round(progress.timeout_ms / 1000)} s)` : null,
      session_id: s.session_id,
      subscriptions_refused: s.subscriptions_refused,
      last_event_id: s.last_event_id,
      connected_since: s.connected_since,
      token: { expires_at: auth.expires_at, token_url: auth.token_url, token_requests: auth.token_requests },
      stream: s.counters,
      ...p.details,
    },
  };
}
