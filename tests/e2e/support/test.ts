/**
 * The e2e suite's `test`: Playwright's, plus two things every spec gets without asking.
 *
 * People a test opens with `browser.newContext()` live in the worker's shared browser, and
 * Playwright does not close them when the test ends: their fake cameras, peer connections and
 * timers would go on loading the 2 cores through every later test. So each test closes them on
 * its way out.
 *
 * A test that fails first prints what each harness page's client went through (its events and
 * trace, fixtures/room-client.ts): a failure that comes once in many CI runs is explained by the
 * run it came in, or not at all.
 */
import { test as base, type Browser } from '@playwright/test';

export const test = base.extend<{ closeLeftoverContexts: void }>({
  closeLeftoverContexts: [
    async ({ browser }, use, testInfo) => {
      await use();
      if (testInfo.status !== testInfo.expectedStatus) {
        const report = await clientHistories(browser);
        if (report) {
          console.log(report);
          await testInfo.attach('client histories', { body: report, contentType: 'text/plain' });
        }
      }
      await Promise.all(browser.contexts().map((context) => context.close()));
    },
    { auto: true },
  ],
});

export { expect } from '@playwright/test';

/** Every harness page's events and trace, one line each, timed from the first of them. */
async function clientHistories(browser: Browser): Promise<string> {
  const pages = browser.contexts().flatMap((context) => context.pages());
  // A page that does not answer (crashed, or stuck) is left out rather than waited for.
  const unanswered = new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000));
  const histories = await Promise.all(
    pages.map((page) => {
      const history = page
        .evaluate(() => {
          if (!window.client) return null;
          const steps: { at: number; event: string }[] = [...window.events, ...(window.trace ?? [])];
          const videos = [...document.querySelectorAll('video')].map((video) => `${video.id} ${video.videoWidth}×${video.videoHeight} at ${video.currentTime.toFixed(1)} s`);
          const connections = window.openPeerConnections().map((pc) => `${pc.connectionState}/${pc.signalingState}`);
          return { userId: window.client.user.userId, steps: steps.sort((a, b) => a.at - b.at), now: `peer connections [${connections.join(', ')}]; videos [${videos.join(', ')}]` };
        })
        .catch(() => null);
      return Promise.race([history, unanswered]);
    }),
  );
  const known = histories.filter((history) => history !== null).filter(({ steps }) => steps.length > 0);
  if (known.length === 0) return '';
  const start = Math.min(...known.map(({ steps }) => steps[0].at));
  return known
    .map(({ userId, steps, now }) => [`── ${userId}'s client (ms from the first step of any):`, ...steps.map(({ at, event, ...detail }) => `  ${at - start} ${event} ${JSON.stringify(detail).slice(0, 200)}`), `  at the end: ${now}`].join('\n'))
    .join('\n');
}
