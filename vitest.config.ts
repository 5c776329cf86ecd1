import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node: the relay, and (later) the room core, which must not
// depend on the DOM or on SvelteKit at import time (DESIGN.md §1).
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 15_000,
  },
});
