/**
 * Serves the app's `config.json` from disk on every request. The static file server (sirv)
 * reads the build directory once at startup (sizes included) and prefers the precompressed
 * `config.json.br`/`.gz` the build wrote, so a self-hoster's edit of `build/config.json` would
 * be served stale or cut to the old length. This file is meant to be edited in place without a
 * rebuild or a restart (SPEC §7), so it bypasses that cache.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

export const CONFIG_FILE_PATH = '/config.json';

/** Returns a request handler that answers `GET`/`HEAD /config.json` and reports whether it did. */
export function createConfigFileHandler(buildDir: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const file = join(buildDir, 'config.json');
  return (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== CONFIG_FILE_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    readFile(file).then(
      (body) => {
        // no-cache: browsers revalidate, so an edit shows on the next page load.
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-cache' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: NodeJS.ErrnoException) => {
        // A missing file is allowed (the app uses its defaults); anything else is the host's fault.
        const missing = err.code === 'ENOENT';
        if (!missing) console.error(`config.json could not be read: ${err.message}`);
        res.writeHead(missing ? 404 : 500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
        res.end(missing ? 'No config.json: the app uses its defaults.' : 'config.json could not be read.');
      },
    );
    return true;
  };
}
