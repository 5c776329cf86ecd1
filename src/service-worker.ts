/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * PWA shell cache: the app's files are cached at install so an installed app opens offline.
 * Page navigations go to the network first (so updates arrive) and fall back to the cached
 * shell; the relay and its endpoints are never cached.
 */
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `mesh-rooms-shell-${version}`;
/** `/` is the SPA shell (index.html); every route renders from it. */
const SHELL = ['/', ...build, ...files];
const SHELL_SET = new Set(SHELL);
const NEVER_CACHED = ['/relay', '/healthz', '/metrics'];

sw.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => sw.skipWaiting()),
  );
});

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
  } else if (SHELL_SET.has(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit ?? fetch(request)));
  }
});

async function cachedShell(): Promise<Response> {
  const shell = await caches.match('/');
  return shell ?? new Response('Mesh Rooms is offline and its shell is not cached yet.', { status: 503 });
}
