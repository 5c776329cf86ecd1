/**
 * The e2e suite's `test`: Playwright's, plus one rule every spec gets without asking. People a
 * test opens with `browser.newContext()` live in the worker's shared browser, and Playwright does
 * not close them when the test ends: their fake cameras, peer connections and timers would go on
 * loading the 2 cores through every later test. So each test closes them on its way out.
 */
import { test as base } from '@playwright/test';

export const test = base.extend<{ closeLeftoverContexts: void }>({
  closeLeftoverContexts: [
    async ({ browser }, use) => {
      await use();
      await Promise.all(browser.contexts().map((context) => context.close()));
    },
    { auto: true },
  ],
});

export { expect } from '@playwright/test';
