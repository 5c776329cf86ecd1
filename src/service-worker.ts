/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * PWA shell cache: the app's files are cached at install so an installed app opens offline.
 * Page navigations go to the network first (so updates arrive) and fall back to the cached
 * shell; the relay and its endpoints are never cached. `config.json` is network-first too:
 * it is the self-hoster's file (SPEC §7), edited in place without a new app version, so the
 * copy cached at install would otherwise hide every edit until the next release.
 */
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `mesh-rooms-shell-${version}`;
/** `/` is the SPA shell (index.html); every route renders from it. */
const SHELL = ['/', ...build, ...files];
const SHELL_SET = new Set(SHELL);
const NEVER_CACHED = ['/relay', '/healthz', '/metrics'];
/** Files that may change without a new app version: the network's copy wins, the cache is for offline. */
const NETWORK_FIRST = new Set(['/config.json']);

sw.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => Promise.all([cache.addAll(SHELL.filter((path) => !NETWORK_FIRST.has(path))), keepNetworkFirstFiles(cache)]))
      .then(() => sw.skipWaiting()),
  );
});

/**
 * Best effort: config.json may be missing on purpose (the app then uses its defaults), and one
 * missing file in `addAll` would fail the whole install, so no offline shell at all.
 */
async function keepNetworkFirstFiles(cache: Cache): Promise<void> {
  for (const path of NETWORK_FIRST) {
    try {
      const response = await fetch(path, { cache: 'no-cache' });
      if (response.ok) await cache.put(path, response);
    } catch (err) {
      console.warn(`service worker: ${path} not kept for offline use`, err);
    }
  }
}

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin || NEVER_CACHED.includes(url.pathname)) return;

  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => cachedShell()));
  } else if (NETWORK_FIRST.has(url.pathname)) {
    event.respondWith(networkFirst(request, url.pathname));
  } else if (SHELL_SET.has(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit ?? fetch(request)));
  }
});

/**
 * The network's answer, kept for offline use; when the network fails, the kept copy. With no
 * copy the page sees the network error, as it would without a service worker, and
 * loadAppConfig falls back on its own (src/lib/app-config.ts).
 */
async function networkFirst(request: Request, path: string): Promise<Response> {
  const cache = await caches.open(CACHE);
  let response: Response;
  try {
    response = await fetch(request);
  } catch (err) {
    const kept = await cache.match(path);
    if (kept) return kept;
    throw err;
  }
  try {
    if (response.ok) await cache.put(path, response.clone());
    // The self-hoster removed the file: offline must not bring the old one back.
    else if (response.status === 404) await cache.delete(path);
  } catch (err) {
    // A full cache costs only the offline copy; this answer is still good.
    console.warn(`service worker: ${path} not kept for offline use`, err);
  }
  return response;
}

async function cachedShell(): Promise<Response> {
  const shell = await caches.match('/');
  return shell ?? new Response('Mesh Rooms is offline and its shell is not cached yet.', { status: 503 });
}
