// Lint: typescript-eslint's recommended type-aware rules for .ts and .svelte, plus a few house
// rules from DESIGN.md §3 (no silent catch, no floating promises in the relay or the app).
import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import svelteConfig from './svelte.config.js';

export default ts.config(
  { ignores: ['build/', '.svelte-kit/', 'node_modules/', 'test-results/', 'playwright-report/', 'bench/results/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig },
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true } },
  },
  {
    // SvelteKit builds the service worker on its own (its tsconfig leaves it out), so it gets
    // the syntax rules only.
    files: ['src/service-worker.ts'],
    ...ts.configs.disableTypeChecked,
    languageOptions: { parserOptions: { projectService: false } },
  },
  {
    files: ['**/*.ts', '**/*.svelte'],
    ignores: ['src/service-worker.ts'],
    rules: {
      // A promise nobody awaits loses its error; mark deliberate fire-and-forget with `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `catch {}` must say why it ignores the error (a comment inside the block).
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // The runes adapters replace snapshots whole ($state.raw = new Map(...)) rather than mutate
    // reactive collections, and keep some plain maps on purpose (not shown in the UI).
    files: ['src/lib/state/**/*.svelte.ts'],
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
);
