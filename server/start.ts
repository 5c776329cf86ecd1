/**
 * `npm start`: builds the app when the build is missing or older than its sources, then serves
 * the static app and the relay from one Node process on one port (WebSocket upgrades on any
 * path go to the relay; the app uses `/relay`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import sirv from 'sirv';
import { createRelay } from '../signaling/relay.js';
import { HelpRequested, readServerConfig, usage } from '../signaling/config.js';
import { RelayConfigError } from '../signaling/options.js';
import { createConfigFileHandler } from './config-file.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_DIR = join(ROOT, 'build');
const DEFAULTS = { port: 3000, host: '127.0.0.1' };
/** What the build is made from: a change to any of these triggers a rebuild. */
const BUILD_INPUTS = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package.json'];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function buildIsCurrent(): boolean {
  const marker = join(BUILD_DIR, 'index.html');
  if (!existsSync(marker)) return false;
  const builtAt = statSync(marker).mtimeMs;
  return BUILD_INPUTS.every((input) => !existsSync(join(ROOT, input)) || newestMtime(join(ROOT, input)) <= builtAt);
}

function buildApp(): void {
  console.log('Building the app (first start, or sources changed)…');
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('vite build failed (see above)');
}

function main(): void {
  let config;
  try {
    config = readServerConfig(process.argv.slice(2), process.env, DEFAULTS);
  } catch (err) {
    if (err instanceof HelpRequested) return void console.log(usage('npm start --', DEFAULTS));
    if (err instanceof RelayConfigError) {
      console.error(`start: ${err.message}\n\n${usage('npm start --', DEFAULTS)}`);
      process.exit(2);
    }
    throw err;
  }
  if (!buildIsCurrent()) buildApp();

  const relay = createRelay(config.relay);
  // Read on every request: a self-hoster edits build/config.json without a rebuild or restart.
  const serveConfigFile = createConfigFileHandler(BUILD_DIR);
  const serveApp = sirv(BUILD_DIR, {
    single: true,
    gzip: true,
    brotli: true,
    etag: true,
    setHeaders(res, pathname) {
      // Hashed assets never change; everything else (index.html, the service worker, the
      // manifest) must be revalidated so an update reaches installed apps.
      const immutable = pathname.startsWith('/_app/immutable/');
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const server = createServer((req, res) => {
    if (relay.handleHttpRequest(req, res)) return;
    if (serveConfigFile(req, res)) return;
    serveApp(req, res);
  });
  server.on('upgrade', relay.handleUpgrade);
  server.on('error', (err: NodeJS.ErrnoException) => {
    console.error(err.code === 'EADDRINUSE' ? `start: port ${config.port} is in use; set PORT to another one` : `start: ${err.message}`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
    console.log(`Mesh Rooms is running at http://${shownHost}:${port}/ (relay on the same port)`);
  });

  const stop = (signal: string) => {
    console.log(`${signal}: closing relay clients with 1001 and stopping`);
    relay.close().then(
      () => {
        server.closeAllConnections();
        server.close(() => process.exit(0));
      },
      (err: unknown) => {
        console.error('stop: closing the relay failed:', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main();
