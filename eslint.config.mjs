import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

/**
 * Module boundaries of ARCHITECTURE §3, enforced: services → libs; vendors never import each
 * other; contracts import nothing but zod; only libs/platform imports the NATS client; the platform
 * never imports a vendor, nor the vendor list (`@edge/vendors`, which only services and tools import).
 */
const NATS = ['@nats-io/*'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'dist/**', '.nx/**', 'coverage/**', 'bench/results*', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [], allowedExternalImports: ['zod', 'node:*'] },
            { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:contracts'] },
            { sourceTag: 'scope:collector-kit', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:platform'], bannedExternalImports: NATS },
            {
              sourceTag: 'type:vendor',
              onlyDependOnLibsWithTags: ['scope:contracts', 'scope:platform', 'scope:collector-kit'],
              bannedExternalImports: NATS,
            },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib', 'type:vendor'], bannedExternalImports: NATS },
            // The vendor list imports the vendors' descriptors (and the descriptor type); nothing imports it but services and tools.
            { sourceTag: 'scope:vendors', onlyDependOnLibsWithTags: ['type:vendor', 'scope:collector-kit'], bannedExternalImports: NATS },
            {
              // A simulator implements its harness type (collector-kit's vendor descriptor) and may use its vendor's lib.
              sourceTag: 'type:simulator',
              onlyDependOnLibsWithTags: ['scope:contracts', 'scope:platform', 'scope:collector-kit', 'type:vendor'],
              bannedExternalImports: NATS,
            },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:vendor', 'type:simulator'] },
          ],
        },
      ],
    },
  },
  {
    // Tests may reach into NATS directly to inspect streams.
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
