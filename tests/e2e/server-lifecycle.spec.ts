import { test, expect } from './support/test';
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';

/**
 * `npm start`'s server as its own process (the suite's webServer is the same program): the app
 * and the relay answer on one port, and SIGTERM closes relay clients with 1001 so they
 * reconnect elsewhere [R-72], then the process exits cleanly.
 */
function startServer(): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn('node_modules/.bin/tsx', ['server/start.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/[^/\s]+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, origin: match[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

test('[R-72] npm start serves app and relay on one port, and SIGTERM closes relay clients with 1001', async ({ page }) => {
  const { child, origin } = await startServer();
  try {
    await page.goto(origin);
    await expect(page.getByRole('status')).toHaveText(/Relay connected/);

    const client = new WebSocket(`${origin.replace('http', 'ws')}/relay`);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
