// Lint rules for the whole tree: ESLint's and typescript-eslint's recommended
// sets with type information, tuned for this code base, plus the import
// boundaries between roles. Layout is Prettier's job (.prettierrc.json).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Generated code: the Prisma client (apps/controller/src/store/generated/) and the proto types (libs/proto/generated/).
  { ignores: ['dist/', 'node_modules/', 'coverage/', '**/generated/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_name` marks a parameter or binding kept for its position or to drop a key from a rest object.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // node:test's test/describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] }],
      // Its judgement of which assertions are unneeded disagrees with tsc on Prisma's JSON inputs and on
      // contextual types (its fixes broke the build), so assertions are left to review.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // A binding a closure reads before its one assignment (wiring objects that refer to each other) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Interface implementations and fakes are async without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      // URLs and query strings print as their text.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allow: [
            { from: 'lib', name: ['Error', 'URL', 'URLSearchParams'] },
            { from: 'package', package: 'url', name: ['URL', 'URLSearchParams'] },
          ],
        },
      ],
    },
  },
  {
    // Tests and benchmarks read untyped JSON (supertest's res.body is `any`) and check it with asserts.
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Networks, images and volumes are their own roles: they reach the container runtime only through the worker, never by import.
    files: ['apps/agent/src/network/**/*.ts', 'apps/agent/src/images/**/*.ts', 'apps/agent/src/volumes/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)runtime(/|$)', message: 'network, images and volumes must not import the runtime role' }] }],
    },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
