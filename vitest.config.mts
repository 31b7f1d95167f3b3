import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';
import base from './tsconfig.base.json' with { type: 'json' };

// Exact-match aliases from tsconfig paths (so `@edge/platform` does not swallow `@edge/platform/testing`).
const alias = Object.entries(base.compilerOptions.paths).map(([k, [v]]) => ({
  find: new RegExp(`^${k.replace(/[/]/g, '\\/')}$`),
  replacement: resolve(import.meta.dirname, v),
}));

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['libs/**/*.spec.ts', 'services/**/*.spec.ts', 'test/**/*.spec.ts'],
    exclude: ['**/node_modules/**', 'test/chaos/**', 'test/deploy-run/**', 'bench/**'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
