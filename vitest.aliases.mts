import { resolve } from 'node:path';
import base from './tsconfig.base.json' with { type: 'json' };

/**
 * Vitest aliases from tsconfig.base.json's paths, in their order (a more specific pattern such as
 * `@edge/vendor-*\/mapper` comes before `@edge/vendor-*`, as TypeScript picks it): exact names
 * match exactly (so `@edge/platform` does not swallow `@edge/platform/testing`), `*` matches one
 * path segment (a vendor id).
 */
export function tsconfigAliases(): Array<{ find: RegExp; replacement: string }> {
  const root = import.meta.dirname;
  return Object.entries(base.compilerOptions.paths).map(([k, [v]]) => ({
    find: new RegExp(`^${k.replace(/[/]/g, '\\/').replace('*', '([^/]+)')}$`),
    replacement: resolve(root, v).replace('*', '$1'),
  }));
}
