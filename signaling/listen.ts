/**
 * Runs a relay on its own HTTP server: WebSocket upgrades on any path, `/healthz`, `/metrics`.
 * Used by the CLI, the tests (port 0) and the benchmark.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRelay, type Relay } from './relay.js';
import type { RelayOptions } from './options.js';
import type { ClusterTuning } from './cluster/cluster.js';

export interface ListeningRelay {
  relay: Relay;
  server: Server;
  /** ws:// URL clients connect to. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function listenRelay(
  options: Partial<RelayOptions> & { port?: number; host?: string; cluster?: Partial<ClusterTuning> } = {},
): Promise<ListeningRelay> {
  const { port = 0, host = '127.0.0.1', cluster, ...relayOptions } = options;
  const relay = createRelay(relayOptions, cluster);
  const server = createServer((req, res) => {
    if (relay.handleHttpRequest(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Mesh Rooms signaling relay: connect with a WebSocket. See /healthz and /metrics.\n');
  });
  server.on('upgrade', relay.handleUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    relay,
    server,
    port: address.port,
    url: `ws://${urlHost}:${address.port}`,
    async close() {
      await relay.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
