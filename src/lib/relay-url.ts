/**
 * Where the app finds its relay. `npm start` and `npm run dev` serve the relay on the app's own
 * origin at this path; a self-hosted relay elsewhere is configured at run time (a later issue).
 */
export const RELAY_PATH = '/relay';

/** `ws://` or `wss://` URL of the relay on the page's own origin. */
export function sameOriginRelayUrl(pageUrl: URL): string {
  const protocol = pageUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${protocol}//${pageUrl.host}${RELAY_PATH}`;
}
