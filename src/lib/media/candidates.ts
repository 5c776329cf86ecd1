/**
 * Which of simple-peer's candidate signals are worth passing on: media connections do not send
 * the others, and a room's data connections (y-webrtc's, announce-gate.ts) do not take them.
 *
 * Chromium gathers, besides its UDP host candidates, `tcptype active` TCP ones (port 9): an
 * active candidate can only connect to a *passive* one, and Chromium offers none, so between
 * two of our Chromium peers they never form a pair. Sent anyway, each costs a relay message,
 * and on the receiving page an `addIceCandidate`, during which the page waits for WebRTC's own
 * thread — in a six-person room on two cores, where a page was blocked there 11 % of the time
 * while the room started. Left out, the room's media connected sooner: median 5.7 s against
 * 8.0 s to every picture, ICE median 0.85 s against 1.3 s; and when the data connections stopped
 * taking them too, 6.1 s against 7.2 s (BENCHMARKS.md "Media").
 *
 * What is given up: a TCP path to a peer that offers passive TCP candidates (Firefox can) when
 * UDP between the two is blocked; a TURN server (`iceServers`) is the way through such networks.
 */
export function isUnpairableCandidate(signal: unknown): boolean {
  const candidate = (signal as { candidate?: { candidate?: unknown } } | null)?.candidate?.candidate;
  return typeof candidate === 'string' && / tcptype active(\s|$)/.test(candidate);
}
