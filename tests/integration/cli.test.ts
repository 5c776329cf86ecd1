/** The standalone relay as a real child process: `tsx signaling/cli.ts`. */
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until, useRelayHarness } from './helpers.js';

const harness = useRelayHarness();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;
/** tsx compiles on start; a loaded machine can take several seconds. */
const START_TIMEOUT_MS = 15_000;

interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  // Only the variables the relay reads are passed on, so the developer's own RELAY_* or PORT
  // cannot change what the test sees.
  const child = spawn(TSX, ['signaling/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  harness.onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // SIGTERM: tsx passes it on to the relay process, which shuts down cleanly.
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Waits for the "listening on ws://…" line and returns the URLs it prints. */
async function listeningUrls(cli: RunningCli): Promise<{ ws: string; health: string }> {
  const match = await until(
    () => {
      if (cli.child.exitCode !== null) throw new Error(`relay exited with ${cli.child.exitCode}: ${cli.stderr()}`);
      return /listening on (ws:\/\/\S+) \(health: (http:\/\/\S+)\)/.exec(cli.stdout());
    },
    { timeoutMs: START_TIMEOUT_MS, intervalMs: 50, what: 'the relay to print its URL' },
  );
  return { ws: match[1], health: match[2] };
}

describe('relay CLI [R-72]', () => {
  it('[R-72] --port 0 prints a usable URL; SIGTERM closes clients with 1001 and exits 0', async () => {
    const cli = startCli(['--port', '0']);
    const { ws, health } = await listeningUrls(cli);
    expect(ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(ws).not.toMatch(/:0$/); // the real port, not the one asked for

    const client = await harness.client(ws);
    await client.sync();
    const res = await fetch(health);
    expect(await res.json()).toMatchObject({ status: 'ok', connections: 1 });

    cli.child.kill('SIGTERM');
    expect(await client.waitClosed(START_TIMEOUT_MS)).toEqual({ code: 1001, reason: 'relay shutting down' });
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toContain('SIGTERM, closing clients with 1001');
  }, 30_000);

  it('[R-72] flags and environment variables reach the relay (flag wins)', async () => {
    const cli = startCli(['--port', '0', '--token', 'from-flag'], { RELAY_TOKEN: 'from-env', RELAY_MAX_TOPICS: '1' });
    const { ws } = await listeningUrls(cli);
    expect((await harness.refusal(`${ws}/?token=from-env`)).status).toBe(401);
    const client = await harness.client(`${ws}/?token=from-flag`);
    client.send({ type: 'subscribe', topics: ['a', 'b'] });
    expect(await client.next('error')).toMatchObject({ code: 'too-many-topics' });
  }, 30_000);

  it('[R-72] --host ::1 prints URLs that work (IPv6 address in brackets)', async () => {
    const cli = startCli(['--port', '0', '--host', '::1']);
    const { ws, health } = await listeningUrls(cli);
    expect(ws).toMatch(/^ws:\/\/\[::1\]:\d+$/);
    const client = await harness.client(ws);
    await client.sync();
    expect((await fetch(health)).status).toBe(200);
  }, 30_000);

  it.each([
    [['--port', 'abc'], '--port must be an integer, got "abc"'],
    [['--port', '0', '--max-frame-bytes', '0'], 'maxFrameBytes must be a positive integer, got 0'],
    [['--port', '0', '--rate-limit', 'lots'], '--rate-limit must be a number, got "lots"'],
    [['--port', '0', '--no-such-flag'], "Unknown option '--no-such-flag'"],
  ])('[R-72] %j exits with code 2 and says what is wrong', async (args, message) => {
    const cli = startCli(args);
    expect(await cli.exited).toEqual({ code: 2, signal: null });
    expect(cli.stderr()).toContain(`relay: ${message}`);
    expect(cli.stderr()).toContain('Usage:');
    expect(cli.stdout()).not.toContain('listening');
  }, 30_000);

  it('[R-72] a bad value in an environment variable exits with code 2 too', async () => {
    const cli = startCli([], { PORT: '0', RELAY_HEARTBEAT_MS: '30s' });
    expect(await cli.exited).toEqual({ code: 2, signal: null });
    expect(cli.stderr()).toContain('--heartbeat-ms must be an integer, got "30s"');
  }, 30_000);

  it('[R-72] --help prints the usage with every flag and exits 0', async () => {
    const cli = startCli(['--help']);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toContain('Usage:');
    expect(cli.stdout()).toMatch(/--max-frame-bytes <int>\s+RELAY_MAX_FRAME_BYTES\s+65536/);
    expect(cli.stdout()).toMatch(/--token <string>\s+RELAY_TOKEN/);
  }, 30_000);
});
