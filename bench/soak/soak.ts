/**
 * `npm run bench:soak`: the 10-minute soak of issue 6. One tab in five rooms publishes its
 * camera into all of them and plays every stream; churners enter a random room, publish their
 * microphone, play the camera, say something, stay a few seconds and leave (or crash). Every
 * ~5 s the watched tab reports members, peer connections and memory (after a forced GC); the
 * curve is printed as a table, then a summary and the bounded-ness verdict (analysis.ts).
 *
 * A real relay process (signaling/cli.ts) and Debian's Chromium: the watched tab in a browser of
 * its own (so its renderer's RSS is its own), the churners in another.
 * Options: --minutes 10 --churners 3 --port 4500 --seed 1 --reference 60 (seconds: the heap
 * after the first minute that the end is compared with).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium } from '../media/pages.js';
import { runSoak } from './scenario.js';
import { percentile } from '../rooms/stats.js';
import { HEAP_MARGIN_MB, OPEN_CONNECTION_SLACK, TABLE_HEADER, judge, tableRow } from './analysis.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    churners: { type: 'string', default: '3' },
    port: { type: 'string', default: '4500' },
    seed: { type: 'string', default: '1' },
    reference: { type: 'string', default: '60' },
  },
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

async function startRelay(port: number): Promise<ChildProcess> {
  const relay = spawn(process.execPath, ['--import', 'tsx', 'signaling/cli.ts', '--port', String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    relay.once('exit', (code) => reject(new Error(`relay exited with ${code} (port ${port} taken?)`)));
    relay.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) resolve();
    });
  });
  return relay;
}

async function main(): Promise<void> {
  const port = Number(args.port);
  const relay = await startRelay(port);
  const [watchedBrowser, churnBrowser] = await Promise.all([launchChromium(), launchChromium()]);
  console.log(`machine: ${cpus().length} CPUs, load average ${load()} at the start; Chromium ${watchedBrowser.version()}; seed ${args.seed}`);
  console.log(TABLE_HEADER);
  let lastLoadReport = 0;
  const loads: number[] = [];
  try {
    const result = await runSoak({
      watchedBrowser,
      churnBrowser,
      relayUrl: `ws://127.0.0.1:${port}`,
      healthUrl: `http://127.0.0.1:${port}/healthz`,
      churnMs: Number(args.minutes) * 60_000,
      churners: Number(args.churners),
      seed: Number(args.seed),
      onSample(sample, samples) {
        console.log(tableRow(samples, samples.length - 1));
        loads.push(loadavg()[0]);
        if (sample.t - lastLoadReport >= 60) {
          lastLoadReport = sample.t;
          console.log(`<!-- load average ${load()} -->`);
        }
      },
    });
    const verdict = judge(result.samples, Number(args.reference));
    const churn = result.samples.filter((s) => s.phase === 'churn');
    const maxOf = (pick: (s: (typeof churn)[number]) => number) => Math.max(...churn.map(pick));
    const ms = (values: number[]) => (values.length ? `p50 ${percentile(values, 50)} / p95 ${percentile(values, 95)} / max ${Math.max(...values)} ms` : '—');
    console.log(`
summary (load average 1-min during the run: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, now ${load()})
- churn: ${result.entries} room entries by churners, ${result.crashes} ended by a crash (context closed), ${result.failures.length} failures
- churner enterRoom → watched camera seen: ${ms(result.joinMs)}
- chat: ${result.sent} sent, ${result.deliveredMs.length} reached the watched tab (${ms(result.deliveredMs)}), ${result.undelivered.length} never
- peer connections: ${result.samples.at(-1)!.created} created, open max ${maxOf((s) => s.open)}, open besides unanswered offers − justified: max ${verdict.maxOverJustified} (slack ${OPEN_CONNECTION_SLACK}); unanswered offers open at once: max ${verdict.maxUnanswered}; not yet collected max ${maxOf((s) => s.uncollected)}
- heap after GC: ${verdict.reference?.heapMb.toFixed(2)} MB at ${verdict.reference?.t.toFixed(0)} s, ${verdict.end?.heapMb.toFixed(2)} MB at the end (${verdict.heapGrowthMb >= 0 ? '+' : ''}${verdict.heapGrowthMb.toFixed(2)} MB; margin ${HEAP_MARGIN_MB}); slope over the second half ${verdict.heapSlopeMbPerMin.toFixed(3)} MB/min
- renderer RSS: ${verdict.reference?.rssMb?.toFixed(0)} MB at ${verdict.reference?.t.toFixed(0)} s, max ${maxOf((s) => s.rssMb ?? 0).toFixed(0)}, ${verdict.end?.rssMb?.toFixed(0)} MB at the end; slope over the second half ${verdict.rssSlopeMbPerMin.toFixed(2)} MB/min
- DOM nodes ${verdict.reference?.nodes} → ${verdict.end?.nodes}, listeners ${verdict.reference?.listeners} → ${verdict.end?.listeners}`);
    for (const failure of result.failures) console.log(`  failure: ${failure.userId} in ${failure.room}: ${failure.what}`);
    for (const text of result.undelivered) console.log(`  undelivered: ${text}`);
    const problems = [...verdict.problems, ...(result.failures.length || result.undelivered.length ? ['churn failures or undelivered messages (above)'] : [])];
    console.log(problems.length ? `NOT BOUNDED:\n${problems.map((p) => `- ${p}`).join('\n')}` : 'bounded: every check passed');
    if (problems.length) process.exitCode = 1;
  } finally {
    await Promise.all([watchedBrowser.close(), churnBrowser.close()]);
    relay.kill('SIGTERM');
  }
}

await main();
