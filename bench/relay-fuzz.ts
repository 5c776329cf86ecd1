/**
 * `npm run bench:relay-fuzz`: the relay fuzz of tests/integration/relay-fuzz.test.ts, bigger and
 * in rounds [R-72]. A real relay process (--expose-gc) takes `--rounds` storms of `--frames`
 * random and malformed frames over `--connections` lanes while two bystanders publish to each
 * other every 20 ms. After each round, once the storm's connections and rooms are gone, it
 * reports the heap and off-heap Buffers after a full GC: a leak shows as a heap that climbs
 * from round to round. Also: frames/s, what the relay refused and why, forced closes, RSS
 * (baseline, peak, after), bystander latency.
 *
 * Prints a table and writes bench/results/relay-fuzz-<timestamp>.json. See RELIABILITY.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startMeasuredRelay, type MeasuredRelay, type MemoryReport } from '../tests/integration/fixtures/measured-relay.js';
import { runFuzzInChild, type FuzzResult } from '../tests/integration/fixtures/relay-fuzzer.js';
import { quantile, startBystanders } from '../tests/integration/fixtures/bystanders.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    frames: { type: 'string', default: '250000' },
    connections: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '4' },
    seed: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(`Usage: npm run bench:relay-fuzz -- [options]
  --frames <n>        frames per round (default 250000)
  --connections <n>   fuzzing connections (lanes) (default 100)
  --rounds <n>        storms, each followed by a memory reading (default 4)
  --seed <n>          PRNG seed of the first round (round k uses seed + k); default random`);
  process.exit(0);
}

function intArg(value: string | undefined, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got "${value}"`);
    process.exit(2);
  }
  return n;
}

const frames = intArg(args.frames, 'frames', 1000);
const connections = intArg(args.connections, 'connections', 1);
const rounds = intArg(args.rounds, 'rounds', 1);
const seed = args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : intArg(args.seed, 'seed', 0);

const mb = (bytes: number) => +(bytes / 2 ** 20).toFixed(2);

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return match ? Number(match[1]) * 1024 : 0;
}

async function metricsText(relay: MeasuredRelay): Promise<string> {
  return (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
}

/** Every labelled or plain counter of /metrics as name{labels} → value. */
function counters(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    out[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return out;
}

/** Waits until only the bystanders remain: their 2 connections, their 1 topic, nothing lingering. */
async function settled(relay: MeasuredRelay): Promise<MemoryReport> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const report = await relay.memory();
    const { connections: open, topics, lingeringRooms } = report.stats;
    if (open === 2 && topics === 1 && lingeringRooms === 0) return report;
    if (Date.now() > deadline) throw new Error(`the storm left ${open} connections, ${topics} topics, ${lingeringRooms} lingering rooms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Round {
  seed: number;
  fuzz: FuzzResult;
  framesPerSecond: number;
  heapMb: number;
  offHeapMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  bystanderP50Ms: number;
  bystanderP99Ms: number;
  bystanderMaxMs: number;
  bystandersInOrder: boolean;
}

async function main(): Promise<void> {
  console.log(`relay fuzz: seed ${seed}, ${rounds} rounds × ${frames} frames over ${connections} connections; ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}`);
  const relay = await startMeasuredRelay();
  const talk = await startBystanders(relay.url);
  try {
    await runFuzzInChild({ url: relay.url, seed: seed + 1_000_000, frames: 5000, connections: 10, topicPrefix: 'warm-' });
    const baseline = await settled(relay);
    console.log(`baseline after warm-up: heap ${mb(baseline.heapUsed)} MB, off-heap ${mb(baseline.external + baseline.arrayBuffers)} MB, RSS ${mb(baseline.rss)} MB`);
    const results: Round[] = [];
    for (let round = 0; round < rounds; round++) {
      const roundSeed = seed + round;
      const latencyStart = talk.latencies.length;
      talk.start();
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(relay.pid))), 100);
      let fuzz: FuzzResult;
      try {
        // In a process of its own, so the bystanders' latency is the relay's, not the fuzzer's.
        fuzz = await runFuzzInChild({ url: relay.url, seed: roundSeed, frames, connections, topicPrefix: `r${round}-` });
      } finally {
        clearInterval(sampler);
        talk.stop();
      }
      await talk.drained();
      const after = await settled(relay);
      const latencies = talk.latencies.slice(latencyStart);
      const result: Round = {
        seed: roundSeed,
        fuzz,
        framesPerSecond: Math.round(fuzz.framesSent / (fuzz.durationMs / 1000)),
        heapMb: mb(after.heapUsed),
        offHeapMb: mb(after.external + after.arrayBuffers),
        rssPeakMb: mb(peak),
        rssAfterMb: mb(after.rss),
        bystanderP50Ms: quantile(latencies, 0.5),
        bystanderP99Ms: quantile(latencies, 0.99),
        bystanderMaxMs: quantile(latencies, 1),
        bystandersInOrder: talk.inOrder(),
      };
      results.push(result);
      console.log(
        `round ${round + 1} (seed ${roundSeed}): ${fuzz.framesSent} frames in ${(fuzz.durationMs / 1000).toFixed(1)} s ` +
          `(${result.framesPerSecond}/s), ${fuzz.laneConnections} lane sockets, closes ${JSON.stringify(fuzz.closeCodes)} (${fuzz.notClosed} left open: rate-dropped); ` +
          `after: heap ${result.heapMb} MB, off-heap ${result.offHeapMb} MB, RSS peak ${result.rssPeakMb} / after ${result.rssAfterMb} MB; ` +
          `bystanders p50 ${result.bystanderP50Ms} / p99 ${result.bystanderP99Ms} / max ${result.bystanderMaxMs} ms, in order: ${result.bystandersInOrder}`,
      );
    }
    const metrics = counters(await metricsText(relay));
    const relevant = Object.fromEntries(Object.entries(metrics).filter(([name, value]) => value > 0 && /dropped|disconnects|messages_in|errors|connections_total/.test(name)));
    console.log('relay counters:', relevant);
    const alive = relay.exit() === null && relay.stderr() === '';
    console.log(`relay process: ${alive ? 'alive, nothing on stderr' : `DEAD or complaining: ${JSON.stringify(relay.exit())} ${relay.stderr()}`}`);
    const heapGrowthMb = +(results[results.length - 1].heapMb - mb(baseline.heapUsed)).toFixed(2);
    console.log(`heap: baseline ${mb(baseline.heapUsed)} MB → after the last round ${results[results.length - 1].heapMb} MB (${heapGrowthMb >= 0 ? '+' : ''}${heapGrowthMb} MB)`);
    const dir = join(REPO_ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `relay-fuzz-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify({ seed, frames, connections, rounds, cores: cpus().length, baseline: { heapMb: mb(baseline.heapUsed), offHeapMb: mb(baseline.external + baseline.arrayBuffers), rssMb: mb(baseline.rss) }, results, counters: relevant, alive }, null, 2),
    );
    console.log(`wrote ${file}`);
    if (!alive || results.some((r) => !r.bystandersInOrder)) process.exitCode = 1;
  } finally {
    talk.close();
    await relay.stop();
  }
}

main().catch((err: unknown) => {
  console.error('bench:relay-fuzz failed:', err);
  process.exit(1);
});
