import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConfigFileHandler } from '../../server/config-file';

let dir: string;
let server: Server;
let base: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'config-file-'));
  const serveConfigFile = createConfigFileHandler(dir);
  server = createServer((req, res) => {
    if (serveConfigFile(req, res)) return;
    res.writeHead(418).end('not mine');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('npm start serves build/config.json as it is on disk now', () => {
  it('an edit (longer or shorter) is served on the next request, whole, never cached for good', async () => {
    await writeFile(join(dir, 'config.json'), '{"signaling":["/relay"]}');
    const first = await fetch(`${base}/config.json`);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(first.headers.get('content-type')).toContain('application/json');
    expect(await first.json()).toEqual({ signaling: ['/relay'] });

    const edited = { signaling: ['wss://relay.example/'], iceServers: [{ urls: 'turn:turn.example:3478', username: 'u', credential: 'p' }] };
    await writeFile(join(dir, 'config.json'), JSON.stringify(edited, null, 2));
    expect(await (await fetch(`${base}/config.json?v=2`)).json()).toEqual(edited);

    await writeFile(join(dir, 'config.json'), '{}');
    expect(await (await fetch(`${base}/config.json`)).text()).toBe('{}');
  });

  it('a missing file answers 404 (the app then uses its defaults)', async () => {
    const response = await fetch(`${base}/config.json`);
    expect(response.status).toBe(404);
  });

  it('other paths and methods are left to the static server', async () => {
    await writeFile(join(dir, 'config.json'), '{}');
    expect((await fetch(`${base}/index.html`)).status).toBe(418);
    expect((await fetch(`${base}/config.json`, { method: 'POST', body: '{}' })).status).toBe(418);
    const head = await fetch(`${base}/config.json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('2');
  });
});
