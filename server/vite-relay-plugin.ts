/**
 * `npm run dev`: the relay runs inside Vite's dev server, on the same port, at `/relay`
 * (Vite's own hot-reload socket keeps `/`), so the app's default relay URL works in dev too.
 */
import type { Plugin } from 'vite';
import { createRelay } from '../signaling/relay.js';
import { RELAY_PATH } from '../src/lib/relay-url.js';

export function relayDevPlugin(): Plugin {
  return {
    name: 'mesh-rooms-relay',
    apply: 'serve',
    configureServer(server) {
      const relay = createRelay();
      server.httpServer?.on('upgrade', (req, socket, head) => {
        if (req.url?.split('?')[0] === RELAY_PATH) relay.handleUpgrade(req, socket, head);
      });
      server.middlewares.use((req, res, next) => {
        if (!relay.handleHttpRequest(req, res)) next();
      });
      server.httpServer?.once('close', () => void relay.close());
    },
  };
}
