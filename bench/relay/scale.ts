/**
 * `npm run bench:relay-scale`: the relay under a steady load, on one process and on two
 * processes sharing one Redis. 10,000 connections in 1,000 rooms of 10 (with two relays,
 * every room has 5 members on each), stamped publishes at a fixed total rate (open loop), and
 * for each setup: deliveries/s, delivery latency percentiles (publish sent → frame received,
 * every receiver, the sender included), CPU and resident memory of every server process.
 *
 * Same load generator as `bench:relay` (loadgen.ts, wire.ts). Prints a table and writes
 * bench/results/relay-scale-<timestamp>.json. See BENCHMARKS.md ("Relay", "Two relays on Redis").
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Snapshot } from './messages.js';
import type { LatencySummary } from './latency.js';
import { clockTicksPerSecond, machineTicks, openFilesLimit, rssKb } from './proc.js';
import { killAllChildren, LoadGenerator, REPO_ROOT, setPlacement, sleep, startRedis, startServer, type RunningServer } from './processes.js';

const WATCHDOG_MS = 600_000;
const FD_HEADROOM = 200;

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    rooms: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '5000' },
    'frame-bytes': { type: 'string', default: '200' },
    warmup: { type: 'string', default: '5' },
    duration: { type: 'string', default: '20' },
    setups: { type: 'string', default: 'one,two' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(`Usage: npm run bench:relay-scale -- [options]
  --connections <n>   client connections (default 10000)
  --rooms <n>         rooms; connections are spread evenly (default 1000)
  --rate <n>          publishes per second, all clients together (default 5000)
  --frame-bytes <n>   size of a publish frame (default 200)
  --warmup <s>        seconds at the rate before measuring (default 5)
  --duration <s>      measurement window (default 20)
  --setups one,two    one relay process; two relay processes on one Redis (default both)`);
  process.exit(0);
}

function intArg(name: keyof typeof args, min: number): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got "${String(args[name])}"`);
    process.exit(2);
  }
  return value;
}

const config = {
  connections: intArg('connections', 2),
  rooms: intArg('rooms', 1),
  rate: intArg('rate', 1),
  frameBytes: intArg('frame-bytes', 120),
  warmupS: intArg('warmup', 0),
  durationS: intArg('duration', 1),
};
const roomSize = Math.floor(config.connections / config.rooms);
if (roomSize < 2 || roomSize > 26) {
  console.error('connections / rooms must be from 2 to 26 (one marker letter per room member)');
  process.exit(2);
}
type Setup = 'one' | 'two';
const setups = String(args.setups)
  .split(',')
  .filter((s): s is Setup => s === 'one' || s === 'two');

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}
setTimeout(() => {
  console.error(`bench:relay-scale: still running after ${WATCHDOG_MS / 1000} s, aborting`);
  killAllChildren();
  process.exit(1);
}, WATCHDOG_MS).unref();

const CLK_TCK = clockTicksPerSecond();

interface ProcessUse {
  name: string;
  cpuPercent: number;
  rssMb: number;
  /** Before any client connected. */
  idleRssMb: number;
}

interface SetupResult {
  setup: Setup;
  relays: number;
  connections: number;
  connectMs: number;
  publishesPerSecond: number;
  deliveriesPerSecond: number;
  /** Should be the room size: every member, the sender included, gets every publish. */
  deliveriesPerPublish: number;
  /** What the rate promises: publishes/s × room size. */
  expectedDeliveriesPerSecond: number;
  latency: LatencySummary;
  processes: ProcessUse[];
  relayRssMbTotal: number;
  /** Relay RSS under load minus before the clients came, over all relays. */
  relayRssMbForConnections: number;
  loadgenCpuPercent: number;
  machineCpuPercent: number;
  /** Machine CPU that went to none of the benchmark's processes: other work competing for the cores. */
  otherCpuPercent: number;
  skippedPublishes: number;
  unexpectedFrames: number;
  lostConnections: number;
}

async function measure(setup: Setup): Promise<SetupResult> {
  const redis = setup === 'two' ? await startRedis() : null;
  const relays: RunningServer[] = [];
  const loadgen = new LoadGenerator();
  try {
    const env: Record<string, string> = redis ? { REDIS_URL: redis.url } : {};
    for (let i = 0; i < (setup === 'two' ? 2 : 1); i++) relays.push(await startServer('ours', [], env));
    await sleep(1000);
    const servers = [...relays.map((r) => r.pid), ...(redis ? [redis.pid] : [])];
    const idleRss = servers.map((pid) => rssKb(pid));
    const connected = await loadgen.request(
      {
        cmd: 'connect',
        port: relays[0].port,
        ports: relays.map((relay) => relay.port),
        stamped: true,
        rooms: config.rooms,
        roomSize,
        concurrency: 200,
        topicPrefix: 'scale-',
        frameBytes: config.frameBytes,
        window: 1,
        timeoutMs: 120_000,
      },
      'connected',
      130_000,
    );
    const total = config.rooms * roomSize;
    if (connected.open !== total) throw new Error(`${setup}: only ${connected.open} of ${total} connected (${connected.firstError ?? 'no error'})`);
    // Subscriptions reach Redis asynchronously (plain subscribe has no reply that waits).
    await sleep(2000);
    await loadgen.request({ cmd: 'start-rate', publishesPerSecond: config.rate }, 'started', 10_000);
    await sleep(config.warmupS * 1000);
    const others = [...relays.slice(1).map((r) => r.pid), ...(redis ? [redis.pid] : [])];
    await loadgen.request({ cmd: 'latency-reset' }, 'latency', 10_000);
    const a: Snapshot = await loadgen.request({ cmd: 'snapshot', serverPid: relays[0].pid, otherPids: others }, 'snapshot', 10_000);
    await sleep(config.durationS * 1000);
    const b: Snapshot = await loadgen.request({ cmd: 'snapshot', serverPid: relays[0].pid, otherPids: others }, 'snapshot', 10_000);
    const latency = await loadgen.request({ cmd: 'latency' }, 'latency', 10_000);
    const rss = servers.map((pid) => rssKb(pid));
    const stopped = await loadgen.request({ cmd: 'stop', drainMs: 1000 }, 'stopped', 10_000);

    const seconds = (b.atMs - a.atMs) / 1000;
    const percent = (ticks: number) => (ticks / CLK_TCK / seconds) * 100;
    const cpu = [b.serverTicks - a.serverTicks, ...b.otherTicks.map((t, i) => t - a.otherTicks[i])].map(percent);
    const names = [...relays.map((_, i) => `relay ${i + 1}`), ...(redis ? ['redis-server'] : [])];
    const processes = names.map((name, i) => ({ name, cpuPercent: cpu[i], rssMb: rss[i] / 1024, idleRssMb: idleRss[i] / 1024 }));
    const relayUse = processes.filter((p) => p.name.startsWith('relay'));
    const loadgenCpuPercent = percent(b.selfTicks - a.selfTicks);
    const machineCpuPercent = ((b.machineBusyTicks - a.machineBusyTicks) / Math.max(1, b.machineTotalTicks - a.machineTotalTicks)) * 100 * cpus().length;
    const sent = b.counters.sent - a.counters.sent;
    const delivered = b.counters.delivered - a.counters.delivered;
    const { ev: _event, ...summary } = latency;
    return {
      setup,
      relays: relays.length,
      connections: connected.open,
      connectMs: connected.ms,
      publishesPerSecond: sent / seconds,
      deliveriesPerSecond: delivered / seconds,
      deliveriesPerPublish: delivered / Math.max(1, sent),
      expectedDeliveriesPerSecond: config.rate * roomSize,
      latency: summary,
      processes,
      relayRssMbTotal: relayUse.reduce((sum, p) => sum + p.rssMb, 0),
      relayRssMbForConnections: relayUse.reduce((sum, p) => sum + p.rssMb - p.idleRssMb, 0),
      loadgenCpuPercent,
      machineCpuPercent,
      otherCpuPercent: machineCpuPercent - loadgenCpuPercent - processes.reduce((sum, p) => sum + p.cpuPercent, 0),
      skippedPublishes: b.skippedPublishes - a.skippedPublishes,
      unexpectedFrames: stopped.counters.otherFrames,
      lostConnections: stopped.counters.lost,
    };
  } finally {
    await loadgen.close();
    for (const relay of relays) await relay.stop();
    await redis?.stop();
  }
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ');
}

async function main(): Promise<void> {
  if (openFilesLimit() < config.connections + FD_HEADROOM) {
    console.error(`open files limit is ${openFilesLimit()}; the load generator needs ${config.connections + FD_HEADROOM}: ulimit -n 20000`);
    process.exit(2);
  }
  // Four processes (two relays, Redis, load generator) on two cores cannot be pinned one per
  // core, so none is, in either setup; as root all run at nice -10.
  setPlacement({ server: null, loadgen: null, nice: process.getuid?.() === 0 ? -10 : null });
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const before = machineTicks();
  await sleep(1000);
  const after = machineTicks();
  const busyBefore = ((after.busy - before.busy) / Math.max(1, after.total - before.total)) * 100 * cpus().length;
  console.log(
    `bench:relay-scale: commit ${commit}, ${cpus().length} CPUs, load average ${loadAverage()}, machine busy before start ${fmt(busyBefore)} % of one core`,
  );
  console.log(
    `bench:relay-scale: ${config.rooms * roomSize} connections, ${config.rooms} rooms of ${roomSize}, ${config.rate} publishes/s ` +
      `(${fmt(config.rate * roomSize)} deliveries/s expected), ${config.frameBytes}-byte frames, ${config.warmupS} s warm-up + ${config.durationS} s`,
  );
  const results: SetupResult[] = [];
  for (const setup of setups) {
    process.stdout.write(`${setup === 'one' ? 'one relay process' : 'two relay processes on Redis'}… `);
    const result = await measure(setup);
    results.push(result);
    console.log(
      `${fmt(result.deliveriesPerSecond)} deliveries/s, p50 ${fmt(result.latency.p50Ms, 2)} ms, p99 ${fmt(result.latency.p99Ms, 2)} ms, ` +
        `relay RSS ${fmt(result.relayRssMbTotal, 1)} MB (load average now ${loadAverage()})`,
    );
    if (result.otherCpuPercent > 30) {
      console.warn(`  WARNING: ${fmt(result.otherCpuPercent)} % of a core went to other processes during the window: the latencies include their interference`);
    }
    if (result.skippedPublishes || result.unexpectedFrames || result.lostConnections) {
      console.warn(`  WARNING: ${result.skippedPublishes} publishes skipped, ${result.unexpectedFrames} unexpected frames, ${result.lostConnections} lost connections`);
    }
  }
  const column = (pick: (r: SetupResult) => string) => results.map(pick);
  const rows: string[][] = [
    ['', ...results.map((r) => (r.setup === 'one' ? 'one process' : 'two processes + Redis'))],
    ['deliveries/s (expected)', ...column((r) => `${fmt(r.deliveriesPerSecond)} (${fmt(r.expectedDeliveriesPerSecond)})`)],
    ['publishes/s sent; deliveries per publish', ...column((r) => `${fmt(r.publishesPerSecond)}; ${fmt(r.deliveriesPerPublish, 2)}`)],
    ['latency p50 / p90, ms', ...column((r) => `${fmt(r.latency.p50Ms, 2)} / ${fmt(r.latency.p90Ms, 2)}`)],
    ['latency p99 / p99.9 / max, ms', ...column((r) => `${fmt(r.latency.p99Ms, 2)} / ${fmt(r.latency.p999Ms, 2)} / ${fmt(r.latency.maxMs, 1)}`)],
    ['relay RSS, MB (sum; of which since clients came)', ...column((r) => `${fmt(r.relayRssMbTotal, 1)} (${fmt(r.relayRssMbForConnections, 1)})`)],
    ['per process: CPU % of a core, RSS MB', ...column((r) => r.processes.map((p) => `${p.name} ${fmt(p.cpuPercent)} %, ${fmt(p.rssMb, 1)}`).join('; '))],
    ['load generator CPU %', ...column((r) => fmt(r.loadgenCpuPercent))],
    ['machine CPU %, of 200 (of which other processes)', ...column((r) => `${fmt(r.machineCpuPercent)} (${fmt(r.otherCpuPercent)})`)],
  ];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  console.log(`\n${rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col])).join(' | ')).join('\n')}\n`);
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `relay-scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark: 'relay-scale', date: new Date().toISOString(), commit, config: { ...config, roomSize }, busyBefore, loadAverageAtEnd: loadAverage(), results }, null, 2)}\n`);
  console.log(`results: ${file}`);
}

main().then(
  () => {
    killAllChildren();
    process.exit(0);
  },
  (err: unknown) => {
    console.error(`\nbench:relay-scale: failed: ${err instanceof Error ? err.message : String(err)}`);
    killAllChildren();
    process.exit(1);
  },
);
