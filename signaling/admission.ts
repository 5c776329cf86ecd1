/**
 * Who may open a WebSocket to the relay: the optional origin allow-list and shared token
 * and the connection cap. Refusals happen before the WebSocket handshake, as plain
 * HTTP responses, so a refused client costs the relay almost nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import type { RelayOptions } from './options.js';
import type { RejectReason } from './metrics.js';

export interface Refusal {
  status: 401 | 403 | 503;
  reason: RejectReason;
  message: string;
}

export function admissionRefusal(req: IncomingMessage, options: RelayOptions, connections: number): Refusal | null {
  if (connections >= options.maxConnections) {
    return { status: 503, reason: 'capacity', message: 'relay is at its connection limit' };
  }
  // Browsers always send Origin on a WebSocket handshake; with an allow-list, a request without
  // one is not from an allowed page.
  if (options.allowedOrigins.length > 0 && !options.allowedOrigins.includes(req.headers.origin ?? '')) {
    return { status: 403, reason: 'origin', message: 'origin not allowed' };
  }
  if (options.token && !tokenMatches(tokenOf(req), options.token)) {
    return { status: 401, reason: 'token', message: 'missing or wrong token' };
  }
  return null;
}

/** The token rides in the relay URL (`wss://relay.example/?token=…`) because browsers cannot set headers on a WebSocket. */
function tokenOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://relay').searchParams.get('token') ?? '';
  } catch {
    // A request line that is not a URL carries no token.
    return '';
  }
}

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const STATUS_TEXT = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' } as const;

export function rejectUpgrade(socket: Duplex, status: Refusal['status'], message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
