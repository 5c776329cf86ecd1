/**
 * Child processes of the relay benchmark: the two servers under test and the load generator.
 * Every child is registered so that any way out of run.ts (normal end, error, Ctrl-C, watchdog)
 * kills it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer, connect as netConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { LoadCommand, LoadEvent } from './messages.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const children = new Set<ChildProcess>();

/** SIGKILLs every child still running; safe to call from an 'exit' handler (synchronous). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Environment for children without anything that would load tsx into the stock server. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

export type ServerKind = 'ours' | 'stock';

/**
 * Where the children run: `server`/`loadgen` pin them to one CPU each (taskset), `nice` raises
 * their priority over anything else on the machine (nice -n, needs root). Both tools exec the
 * command, so the pid stays the node process itself.
 */
export interface Placement {
  server: number | null;
  loadgen: number | null;
  nice: number | null;
}

let placement: Placement = { server: null, loadgen: null, nice: null };
/** Pass the servers' stdout/stderr through (e.g. for --trace-deopt) instead of keeping a tail. */
let showServerOutput = false;

export function setShowServerOutput(show: boolean): void {
  showServerOutput = show;
}

export function setPlacement(next: Placement): void {
  placement = next;
}

/**
 * Preloaded into each server: exits when the benchmark driver dies without cleaning up (e.g.
 * SIGKILL), which reparents the server. One unref'd timer, twice a second: negligible load.
 */
const EXIT_WITH_PARENT =
  'data:text/javascript,const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.exit(1)},500).unref();';

/** `node <args>`, behind `taskset -c <cpu>` when pinned and `nice -n <n>` when prioritised. */
function nodeCommand(cpu: number | null, args: string[]): [string, string[]] {
  return placedCommand(cpu, process.execPath, args);
}

function placedCommand(cpu: number | null, program: string, args: string[]): [string, string[]] {
  const argv = [
    ...(cpu === null ? [] : ['taskset', '-c', String(cpu)]),
    ...(placement.nice === null ? [] : ['nice', '-n', String(placement.nice)]),
    program,
    ...args,
  ];
  return [argv[0], argv.slice(1)];
}

export interface RunningServer {
  kind: ServerKind;
  pid: number;
  port: number;
  /** The last lines the server printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound, then released for the server to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server in its own process and waits until it answers HTTP on 127.0.0.1.
 * Ours runs as `node --import tsx signaling/cli.ts` (what `tsx signaling/cli.ts` runs, minus the
 * tsx wrapper process, so `pid` is the relay itself); stock as `node node_modules/y-webrtc/bin/server.js`.
 */
export async function startServer(
  kind: ServerKind,
  nodeArgs: string[] = [],
  /** Extra environment for the server, e.g. REDIS_URL for several relays on one Redis. */
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const port = await freePort();
  const [command, args] = nodeCommand(
    placement.server,
    kind === 'ours'
      ? [
          ...nodeArgs,
          '--import',
          EXIT_WITH_PARENT,
          '--import',
          'tsx',
          'signaling/cli.ts',
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          '--rate-limit',
          '0',
          '--max-connections',
          '30000',
        ]
      : [...nodeArgs, '--import', EXIT_WITH_PARENT, 'node_modules/y-webrtc/bin/server.js'],
  );
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: childEnv({ ...env, ...(kind === 'stock' ? { PORT: String(port) } : {}) }),
    stdio: ['ignore', showServerOutput ? 'inherit' : 'pipe', showServerOutput ? 'inherit' : 'pipe'],
  });
  track(child);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => keep(Buffer.from(`\nspawn failed: ${err.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: RunningServer = {
    kind,
    pid: child.pid ?? -1,
    port,
    output: () => tail.trim(),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Ours closes its clients and exits (which writes a --cpu-prof profile); stock just dies.
      child.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${kind} server exited during startup:\n${server.output()}`);
    }
    if (await answersHttp(port)) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${kind} server did not answer on port ${port} within 20 s:\n${server.output()}`);
    }
    await sleep(100);
  }
}

function answersHttp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface RunningRedis {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * A redis-server of the benchmark's own on a free port: no persistence, no disk, killed with
 * the other children. Placed like the servers (nice), not pinned: the scale benchmark runs
 * four processes on two cores.
 */
export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort();
  const [command, args] = placedCommand(null, 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--loglevel',
    'warning',
  ]);
  const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let tail = '';
  const keep = (chunk: Buffer) => void (tail = (tail + chunk.toString('utf8')).slice(-2000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await answersRedisPing(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited at start (is it installed? node scripts/ensure-redis.mjs):\n${tail}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}:\n${tail}`);
    await sleep(50);
  }
  return {
    pid: child.pid ?? -1,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function answersRedisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1').startsWith('+PONG')));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The load generator process and a request/response wrapper over its IPC channel. */
export class LoadGenerator {
  readonly pid: number;
  readonly #child: ChildProcess;
  #waiters: { ev: LoadEvent['ev']; resolve: (event: LoadEvent) => void; reject: (err: Error) => void }[] = [];
  #exit: string | null = null;

  constructor() {
    const [command, args] = nodeCommand(placement.loadgen, [
      '--import',
      'tsx',
      fileURLToPath(new URL('./loadgen.ts', import.meta.url)),
    ]);
    // spawn with an 'ipc' stdio slot is fork() that can go through taskset.
    this.#child = track(
      spawn(command, args, { cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    this.pid = this.#child.pid ?? -1;
    this.#child.on('message', (event: LoadEvent) => {
      if (event.ev === 'fatal') {
        this.#rejectAll(new Error(`load generator failed: ${event.message}`));
        return;
      }
      const index = this.#waiters.findIndex((w) => w.ev === event.ev);
      if (index >= 0) this.#waiters.splice(index, 1)[0].resolve(event);
    });
    this.#child.on('error', (err) => this.#rejectAll(new Error(`load generator: ${err.message}`)));
    this.#child.once('exit', (code, signal) => {
      this.#exit = `load generator exited (code ${code}, signal ${signal})`;
      this.#rejectAll(new Error(this.#exit));
    });
  }

  /** Sends a command and waits for the event that answers it. */
  async request<E extends LoadEvent['ev']>(command: LoadCommand, ev: E, timeoutMs: number): Promise<Extract<LoadEvent, { ev: E }>> {
    if (this.#exit) throw new Error(this.#exit);
    const answer = new Promise<LoadEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load generator: no "${ev}" within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        ev,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
    try {
      this.#child.send(command);
    } catch (err) {
      this.#rejectAll(err instanceof Error ? err : new Error(String(err)));
    }
    return (await answer) as Extract<LoadEvent, { ev: E }>;
  }

  /** Asks it to close its sockets and exit; kills it if it does not. */
  async close(): Promise<void> {
    if (this.#exit) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    try {
      this.#child.send({ cmd: 'close' } satisfies LoadCommand);
    } catch {
      // Channel already closed.
    }
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref());
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      this.#child.kill('SIGKILL');
      await exited;
    }
  }

  #rejectAll(err: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(err);
  }
}
