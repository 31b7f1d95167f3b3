/**
 * Least privilege on NATS: one user per process, each allowed exactly the subjects and
 * JetStream API calls its role needs. The one place that says who may do what; the user lists of
 * `npm start`'s local server, docker compose (deploy/nats/users.conf) and the deploy configs are
 * generated from it and the process list (scripts/nats-users.ts).
 *
 * Semantics checked against the nats-server authorization reference
 * (https://docs.nats.io/running-a-nats-service/configuration/securing_nats/authorization):
 * a list of subjects is an allow list (everything else denied). The
 * JetStream API is plain subjects (`$JS.API.<verb>.<stream>[.<consumer>]`,
 * https://docs.nats.io/reference/reference-protocols/nats_api_reference), so each call is one
 * subject to allow. Every user receives replies on its own inbox prefix (`_INBOX_<user>.>`), so
 * no user can read the answers, JetStream deliveries or KV reads addressed to another.
 *
 * Answers to control requests go to the inboxes of the users that send them (`requesters`) and to
 * `_R_.>`, the reply subjects nats-server gives requests that cross an account's service import
 * (the hub's OPS asking a site). Not `allow_responses`: with it the server records every message
 * delivered with a reply subject — each JetStream delivery, whose `$JS.ACK…` reply is answered
 * under the explicit allow and so never clears its record — and past 4 096 records it walks the
 * whole map on every delivery (`pruneReplyPerms`, nats-server client.go). Measured with nats-server's
 * pprof during the e2e burst: 33 % of its CPU (bench/README.md).
 */
import { BUCKETS, CONSUMERS, STREAMS } from '@edge/contracts';
import type { ProvisionScope } from './provision';

export type NatsRole = 'collector' | 'normalizer' | 'forwarder' | 'operator' | 'console';

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/** Reply subjects of requests that reached this account through a service import (nats-server `_R_.`). */
const IMPORTED_REPLIES = '_R_.>';

/** The roles whose users send control requests (commands, status) to the services. */
export const REQUESTER_ROLES: readonly NatsRole[] = ['console', 'operator', 'forwarder'];

/** The NATS user of the operator CLI (also the local server's anonymous loopback identity). */
export const OPERATOR_USER = 'operator';

/** Replies to a user arrive under this prefix (client option `inboxPrefix`). */
export function inboxPrefixFor(user: string): string {
  return `_INBOX_${user}`;
}

const API = '$JS.API';
const KV_STREAM = `KV_${BUCKETS.devices}`;
const STATE_STREAM = `KV_${BUCKETS.collectorState}`;

/** Create or reconcile a stream (provisioning on start). */
const streamEnsure = (...streams: string[]) => streams.flatMap((s) => [`${API}.STREAM.INFO.${s}`, `${API}.STREAM.CREATE.${s}`, `${API}.STREAM.UPDATE.${s}`]);
/** Create or reconcile one durable consumer (both API forms: with and without a filter token). */
const consumerEnsure = (stream: string, durable: string) => [
  `${API}.CONSUMER.INFO.${stream}.${durable}`,
  `${API}.CONSUMER.CREATE.${stream}.${durable}`,
  `${API}.CONSUMER.CREATE.${stream}.${durable}.>`,
  `${API}.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
];
/** Pull from one durable consumer and acknowledge what it delivered. */
const consumerPull = (stream: string, durable: string) => [
  ...consumerEnsure(stream, durable),
  `${API}.CONSUMER.MSG.NEXT.${stream}.${durable}`,
  `$JS.ACK.${stream}.${durable}.>`,
  `$JS.FC.${stream}.>`,
];
const messageGet = (stream: string) => [`${API}.STREAM.MSG.GET.${stream}`, `${API}.DIRECT.GET.${stream}`, `${API}.DIRECT.GET.${stream}.>`];

/** Status scatter/gather and the per-service status subject: answered by every service. */
const statusServed = (user: string) => ['edge.*.cmd.status', `edge.*.svc.${user}.status`];

/**
 * What a user of a role may publish and subscribe to. `vendor` scopes a collector to its own
 * raw subjects. Site ids are wildcards: one box (or one hub account) serves one site.
 */
export function permissionsFor(role: NatsRole, user: string, vendor?: string, requesters: readonly string[] = []): NatsPermissions {
  const inbox = `${inboxPrefixFor(user)}.>`;
  const base = [`${API}.INFO`];
  /** Where this user's answers to control requests go. */
  const answers = [...new Set(requesters)].map((u) => `${inboxPrefixFor(u)}.>`).concat(IMPORTED_REPLIES);
  switch (role) {
    case 'collector':
      if (!vendor) throw new Error(`collector user ${user} needs its vendor`);
      return {
        // Writes its vendor's raw subjects; provisions RAW and the normalizer's consumer (RAW
        // keeps messages only while a consumer has interest). No CANONICAL, DLQ, KV, deletes.
        // Its own state (e.g. the event subscription it made on the vendor server) in the
        // collector_state bucket, under its vendor's keys.
        publish: [
          ...base,
          `raw.${vendor}.>`,
          ...streamEnsure(STREAMS.raw),
          ...consumerEnsure(STREAMS.raw, CONSUMERS.normalizer),
          ...streamEnsure(STATE_STREAM),
          `$KV.${BUCKETS.collectorState}.${vendor}.>`,
          ...messageGet(STATE_STREAM),
          ...answers,
        ],
        subscribe: [inbox, 'edge.*.cmd.sync', ...statusServed(user)],
      };
    case 'normalizer':
      return {
        publish: [
          ...base,
          'canonical.>',
          'dlq.normalizer.>',
          ...streamEnsure(STREAMS.raw, STREAMS.canonical, STREAMS.dlq, KV_STREAM),
          ...consumerPull(STREAMS.raw, CONSUMERS.normalizer),
          ...consumerEnsure(STREAMS.canonical, CONSUMERS.forwarder),
          // The device registry: KV puts/deletes are publishes; reads are direct gets; watches
          // are ordered consumers of the bucket's stream, removed by the client when done.
          `$KV.${BUCKETS.devices}.>`,
          ...messageGet(KV_STREAM),
          `${API}.CONSUMER.CREATE.${KV_STREAM}`,
          `${API}.CONSUMER.CREATE.${KV_STREAM}.>`,
          `${API}.CONSUMER.INFO.${KV_STREAM}.>`,
          `${API}.CONSUMER.DELETE.${KV_STREAM}.>`,
          `${API}.CONSUMER.MSG.NEXT.${KV_STREAM}.>`,
          `$JS.FC.${KV_STREAM}.>`,
          ...answers,
        ],
        subscribe: [inbox, 'edge.*.cmd.devices', 'edge.*.cmd.health', 'edge.*.cmd.confirm-removals', ...statusServed(user)],
      };
    case 'forwarder':
      return {
        // Delivers CANONICAL; answers `cmd.dlq`: lists the DLQ, replays an entry to its original
        // subject (raw.> or canonical.>) and removes that one replayed entry. Its heartbeat
        // gathers the site's status (`cmd.status`).
        publish: [
          ...base,
          'edge.*.cmd.status',
          'dlq.forwarder.>',
          'raw.>',
          'canonical.>',
          ...streamEnsure(STREAMS.canonical, STREAMS.dlq),
          ...consumerPull(STREAMS.canonical, CONSUMERS.forwarder),
          ...messageGet(STREAMS.canonical),
          ...messageGet(STREAMS.dlq),
          `${API}.STREAM.MSG.DELETE.${STREAMS.dlq}`,
          ...answers,
        ],
        subscribe: [inbox, 'edge.*.cmd.dlq', ...statusServed(user)],
      };
    case 'console':
      // The technician's status page reads the control plane only (status, devices, health
      // timeline), starts syncs and DLQ replays behind its token, and answers cmd.status itself.
      return {
        publish: ['edge.*.cmd.status', 'edge.*.cmd.devices', 'edge.*.cmd.health', 'edge.*.cmd.sync', 'edge.*.cmd.dlq', 'edge.*.svc.*.status', ...answers],
        subscribe: [inbox, ...statusServed(user)],
      };
    case 'operator':
      // The operator CLI: every command, and the JetStream API including purge and delete
      // (the only user that may) — also of another domain reached over a leaf link (the site's
      // own account on a regional hub, `$JS.hub.API`).
      return {
        publish: ['edge.*.cmd.>', 'edge.*.svc.*.status', `${API}.>`, '$JS.*.API.>', '$JS.ACK.>', `$KV.${BUCKETS.devices}.>`],
        subscribe: [inbox, `${inboxPrefixFor(user)}`],
      };
  }
}

/** The role of a pipeline process: `collector-<vendor>` → collector, else its name. */
export function roleOfService(service: string): NatsRole {
  if (service.startsWith('collector-')) return 'collector';
  return service as NatsRole;
}

/**
 * What a process creates or reconciles on start — exactly what its user may create. RAW keeps a
 * message only while a consumer has interest, so a collector also ensures the normalizer's consumer.
 */
export function provisionScopeFor(service: string): ProvisionScope | undefined {
  const raw = STREAMS.raw;
  const can = STREAMS.canonical;
  switch (roleOfService(service)) {
    case 'collector':
      return { streams: [raw], consumers: [`${raw}/${CONSUMERS.normalizer}`], kv: false };
    case 'normalizer':
      return { streams: [raw, can, STREAMS.dlq], consumers: [`${raw}/${CONSUMERS.normalizer}`, `${can}/${CONSUMERS.forwarder}`], kv: true };
    case 'forwarder':
      return { streams: [can, STREAMS.dlq], consumers: [`${can}/${CONSUMERS.forwarder}`], kv: false };
    default:
      return undefined;
  }
}

/** API subjects no role but the operator may publish: removal of streams, consumers and messages. */
export const OPERATOR_ONLY = [`${API}.STREAM.PURGE.`, `${API}.STREAM.DELETE.`, `${API}.CONSUMER.DELETE.`];
