/**
 * Real relays in processes of their own for fault tests (SPEC, issue 6): started with
 * the relay CLI (`npm run relay`, signaling/cli.ts), optionally on a real Redis, killed without
 * warning (SIGKILL: no close frame, its sockets just drop) and started again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../integration/redis-server';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export interface RelayProcess {
  readonly url: string;
  readonly port: number;
  /** SIGKILL: the relay is gone at once, like a crashed machine's process. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts connections (and Redis is on). */
  start(): Promise<void>;
  /** Ends it for good (cleanup). */
  stop(): Promise<void>;
}

export async function startRelayProcess({ redisUrl }: { redisUrl?: string } = {}): Promise<RelayProcess> {
  const port = await freePort();
  let child: ChildProcess | null = null;

  const start = async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) };
    const started = spawn(process.execPath, ['--import', 'tsx', 'signaling/cli.ts', '--port', String(port)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Listening, and with Redis also subscribed to the cluster, or members of the two relays
    // would not meet.
    const ready = () => /relay listening on/.test(output) && (!redisUrl || /redis connected at/.test(output));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!ready()) {
      if (started.exitCode !== null) throw new Error(`relay on port ${port} exited at start: ${output}`);
      if (Date.now() > deadline) throw new Error(`relay on port ${port} did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const kill = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await exited;
  };

  await start();
  return { url: `ws://127.0.0.1:${port}`, port, kill, start, stop: kill };
}
