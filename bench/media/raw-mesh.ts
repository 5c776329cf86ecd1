/**
 * `npm run bench:raw-mesh`: the floor under bench:media's start time — a bare simple-peer mesh
 * (tests/e2e/fixtures/raw-mesh.ts) of N pages, each in its own browser context of a fresh
 * Chromium with the fake camera and microphone, every page connecting to every other at once;
 * ms from the start of connecting (camera already open) until every remote picture of every
 * page shows. Shapes: `pair` (one connection per pair, both cameras on it) and `direction` (one
 * per direction, as the product). Signals go straight from page to page through this script,
 * so no relay time is in it. Options: --peers 6 --shapes pair,direction --rounds 5
 */
import { parseArgs } from 'node:util';
import type { Page } from '@playwright/test';
import { bundleFixture } from '../../tests/e2e/support/bundle.js';
import { listenRelay } from '../../signaling/listen.js';
import { launchChromium } from './pages.js';
import type { MeshShape } from '../../tests/e2e/fixtures/raw-mesh.js';

const { values: args } = parseArgs({
  options: {
    peers: { type: 'string', default: '6' },
    shapes: { type: 'string', default: 'pair,direction' },
    rounds: { type: 'string', default: '5' },
  },
});
const peers = Number(args.peers);
const shapes = args.shapes.split(',') as MeshShape[];

/** The other end of a connection key: `a-b` (a pair) or `a>b` (a direction). */
function otherEnd(key: string, me: number): number {
  const [a, b] = key.split(/[->]/).map(Number);
  return a === me ? b : a;
}

async function startOnce(shape: MeshShape, script: string, origin: string): Promise<number> {
  const browser = await launchChromium();
  try {
    const pages: Page[] = [];
    for (let i = 0; i < peers; i++) {
      const page = await (await browser.newContext()).newPage();
      await page.goto(origin); // a secure context (127.0.0.1) where getUserMedia works
      await page.addScriptTag({ content: script });
      pages.push(page);
    }
    for (const [me, page] of pages.entries()) {
      await page.exposeFunction('rawSend', (text: string) => {
        const { key } = JSON.parse(text) as { key: string };
        void pages[otherEnd(key, me)].evaluate((forwarded) => window.rawReceive(forwarded), text);
      });
    }
    const times = await Promise.all(pages.map((page, me) => page.evaluate(([i, n, s]) => window.rawStart(i, n, s), [me, peers, shape] as const)));
    return Math.max(...times);
  } finally {
    await browser.close();
  }
}

// The relay only serves a page of the 127.0.0.1 origin here; no signal goes through it.
const relay = await listenRelay();
const script = await bundleFixture('raw-mesh');
const results = new Map<MeshShape, number[]>(shapes.map((shape) => [shape, []]));
try {
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const shape of shapes) {
      const ms = await startOnce(shape, script, `http://127.0.0.1:${relay.port}/healthz`);
      results.get(shape)!.push(ms);
      console.log(`round ${round}, ${shape}, ${peers} peers: ${Math.round(ms)} ms`);
    }
  }
} finally {
  await relay.close();
}
console.log('\n| shape | peers | every remote picture (ms) | median |\n|---|---:|---|---:|');
for (const [shape, times] of results) {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  console.log(`| ${shape} | ${peers} | ${times.map((ms) => Math.round(ms)).join(' / ')} | ${Math.round(median)} |`);
}
