import { test, expect } from './support/test';
import { runSoak } from '../../bench/soak/scenario';
import { TABLE_HEADER, judge, tableRow } from '../../bench/soak/analysis';

/**
 * The soak of issue 6, short: `npm run bench:soak` runs the same scenario for 10 minutes
 * (figures in RELIABILITY.md). One tab in five rooms publishes its camera into all of them and
 * plays every stream while three churners enter a random room, publish their microphone, play
 * the camera, send a chat message, stay 2–6 s and leave — or crash (context closed without
 * unload) and come back as a fresh context. What would break it: a member's connections,
 * streams, elements or listeners kept after it left (open peer connections above what the
 * members justify, heap growing), a room that stops working (a message not arriving, a churner
 * never seeing the tab), or the tab not coming back to its baseline once everyone is gone.
 */

const CHURN_MS = 60_000;
/** The end's heap is compared with the heap this far in (the bench uses 60 s of 600). */
const REFERENCE_S = 30;

test('[R-51][R-52][R-14] one tab in five rooms with members joining and leaving every few seconds: peer connections and memory stay bounded, the rooms keep working', async ({ browser, launchOptions, baseURL }) => {
  test.setTimeout(150_000);
  // The churners get a browser of their own, so the watched tab's browser has only its renderer.
  const churnBrowser = await browser.browserType().launch(launchOptions);
  try {
    const relayUrl = new URL('/relay', baseURL).href.replace(/^http/, 'ws');
    const seed = Date.now() % 1000;
    console.log(`soak seed ${seed}`);
    const result = await runSoak({ watchedBrowser: browser, churnBrowser, relayUrl, healthUrl: new URL('/healthz', baseURL).href, churnMs: CHURN_MS, seed });
    const verdict = judge(result.samples, REFERENCE_S);
    console.log([TABLE_HEADER, ...result.samples.map((_, i) => tableRow(result.samples, i))].join('\n'));
    console.log(
      `${result.entries} entries (${result.crashes} crashes), ${result.sent} messages sent, ${result.deliveredMs.length} arrived; ` +
        `heap ${verdict.reference?.heapMb.toFixed(2)} MB at ${verdict.reference?.t.toFixed(0)} s → ${verdict.end?.heapMb.toFixed(2)} MB at the end, ` +
        `slope ${verdict.heapSlopeMbPerMin.toFixed(3)} MB/min; open besides unanswered offers over justified: max ${verdict.maxOverJustified}; unanswered offers: max ${verdict.maxUnanswered}`,
    );

    // Members really came and went, some abruptly.
    expect(result.entries).toBeGreaterThanOrEqual(10);
    expect(result.crashes).toBeGreaterThanOrEqual(1);
    // The rooms kept working: every churner saw the tab and its camera, every message arrived.
    expect(result.failures).toEqual([]);
    expect(result.undelivered).toEqual([]);
    expect(result.deliveredMs.length).toBe(result.sent);
    // Bounded: connections within what recent members justify, back to none when all are gone,
    // heap back within its margin with no growth trend (analysis.ts says why each figure).
    expect(verdict.problems).toEqual([]);
  } finally {
    await churnBrowser.close();
  }
});
