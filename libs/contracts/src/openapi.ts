import { z } from 'zod';
import { Device } from './device';
import { HealthEvent } from './health-event';
import { RawEnvelope } from './raw-envelope';
import { CanonicalMessage } from './canonical-message';
import {
  CLOUD_PATHS,
  CloudErrorResponse,
  HealthEventsRequest,
  HeartbeatRequest,
  IngestResponse,
  InventoryRequest,
} from './cloud-api';

type JsonObject = Record<string, unknown>;

/** JSON Schemas of every contract, generated from the zod schemas (draft 2020-12). */
export function jsonSchemas(): Record<string, JsonObject> {
  const all = {
    Device,
    HealthEvent,
    RawEnvelope,
    CanonicalMessage,
    InventoryRequest,
    HealthEventsRequest,
    HeartbeatRequest,
    IngestResponse,
    CloudErrorResponse,
  };
  const out: Record<string, JsonObject> = {};
  for (const [name, schema] of Object.entries(all)) {
    out[name] = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  }
  return out;
}

function component(schema: z.ZodType): JsonObject {
  const s = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as JsonObject;
  delete s.$schema;
  return s;
}

/** OpenAPI 3 document of the cloud ingest API (ARCHITECTURE §4.4). */
export function cloudOpenApi(version: string): JsonObject {
  const errors = {
    '400': { description: 'Body failed validation; `items` names the offending items', content: json('CloudErrorResponse') },
    '401': { description: 'Missing or invalid bearer token', content: json('CloudErrorResponse') },
    '403': { description: 'Token not allowed for this customer', content: json('CloudErrorResponse') },
    '413': { description: 'Body too large: the edge splits the batch', content: json('CloudErrorResponse') },
    '429': { description: 'Rate limited; honour Retry-After', headers: retryAfter() },
    '503': { description: 'Unavailable; retry with backoff, honour Retry-After', headers: retryAfter() },
  };
  const post = (summary: string, body: string) => ({
    summary,
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        description: 'Derived from the ids of the items in the body: a resent batch carries the same key',
        schema: { type: 'string' },
      },
    ],
    requestBody: { required: true, content: json(body) },
    responses: {
      '200': { description: 'Accepted', content: json('IngestResponse') },
      '409': { description: 'Already received (treated as delivered)', content: json('CloudErrorResponse') },
      ...errors,
    },
  });
  return {
    openapi: '3.0.3',
    info: {
      title: 'Integrator cloud ingest API',
      version,
      description:
        'What the edge forwarder POSTs. Every POST is idempotent by Idempotency-Key and by item id. 2xx and 409 mean delivered.',
    },
    security: [{ bearer: [] }],
    paths: {
      [CLOUD_PATHS.inventory]: { post: post('Inventory batch of one sync (or a device update between syncs)', 'InventoryRequest') },
      [CLOUD_PATHS.healthEvents]: { post: post('Device health events, in per-device order', 'HealthEventsRequest') },
      [CLOUD_PATHS.heartbeat]: { post: post('Edge heartbeat', 'HeartbeatRequest') },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        InventoryRequest: component(InventoryRequest),
        HealthEventsRequest: component(HealthEventsRequest),
        HeartbeatRequest: component(HeartbeatRequest),
        IngestResponse: component(IngestResponse),
        CloudErrorResponse: component(CloudErrorResponse),
      },
    },
  };
}

function json(name: string) {
  return { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } };
}
function retryAfter() {
  return { 'Retry-After': { description: 'Seconds or an HTTP date', schema: { type: 'string' } } };
}
