import { cloudOpenApi, jsonSchemas } from './openapi';

/** API version of the cloud contract (bump on any change to the bodies). */
export const CLOUD_API_VERSION = '1.0.0';

/** Relative path → file text of every generated artefact. */
export function generatedFiles(): Record<string, string> {
  const out: Record<string, string> = {
    'openapi.json': JSON.stringify(cloudOpenApi(CLOUD_API_VERSION), null, 2) + '\n',
  };
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    out[`json-schema/${name}.json`] = JSON.stringify(schema, null, 2) + '\n';
  }
  return out;
}
