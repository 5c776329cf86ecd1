/**
 * `npm run relay -- --port 4444`: the relay on its own, without the app.
 * SIGTERM/SIGINT close every client with 1001 so it reconnects (elsewhere), then exit.
 */
import { listenRelay } from './listen.js';
import { HelpRequested, readServerConfig, usage } from './config.js';
import { RelayConfigError } from './options.js';

const DEFAULTS = { port: 4444, host: '127.0.0.1' };

async function main(): Promise<void> {
  let config;
  try {
    config = readServerConfig(process.argv.slice(2), process.env, DEFAULTS);
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(usage('npm run relay --', DEFAULTS));
      return;
    }
    if (err instanceof RelayConfigError) {
      console.error(`relay: ${err.message}\n\n${usage('npm run relay --', DEFAULTS)}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const running = await listenRelay({ port: config.port, host: config.host, ...config.relay });
  // Derived from running.url, which brackets an IPv6 address: `http://${config.host}:…` printed
  // an unusable http://::1:4444/healthz for --host ::1.
  const healthUrl = `${running.url.replace(/^ws:/, 'http:')}/healthz`;
  console.log(`Mesh Rooms relay listening on ${running.url} (health: ${healthUrl})`);
  const stop = (signal: string) => {
    console.log(`relay: ${signal}, closing clients with 1001`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('relay: closing failed:', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error('relay: failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
