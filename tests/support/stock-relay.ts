/**
 * y-webrtc's own signaling server (node_modules/y-webrtc/bin/server.js), unchanged, on a free
 * loopback port: for tests that prove what works against a stock relay.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

export interface StockRelay {
  url: string;
  stop(): void;
}

export async function startStockRelay(): Promise<StockRelay> {
  const port = await freePort();
  const child = spawn(process.execPath, ['node_modules/y-webrtc/bin/server.js'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // It prints one line once listening.
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`stock relay exited with ${code}`)));
  });
  return { url: `ws://127.0.0.1:${port}`, stop: () => void child.kill('SIGKILL') };
}
