/**
 * Traces a y-webrtc provider's data connections (trace.ts): each one as it is created (as
 * initiator or responder), its ICE reaching `connected`, simple-peer's `connect` (data channel
 * open) and the first message on it (sync or awareness from the peer). y-webrtc's `peers`
 * event fires when a connection object is created, which is when these are hooked.
 */
import type { Trace } from './trace.js';
import { isYWebrtcRoom } from './announce-gate.js';

interface TracedPeer {
  initiator?: boolean;
  _pc?: RTCPeerConnection;
  once(event: 'connect' | 'data' | 'close', listener: () => void): unknown;
}

interface PeersEvent {
  added: string[];
  removed: string[];
}

interface PeersEmitter {
  readonly room: unknown;
  on(event: 'peers', listener: (event: PeersEvent) => void): void;
  off(event: 'peers', listener: (event: PeersEvent) => void): void;
}

/** Calls `added` with each data connection's RTCPeerConnection as y-webrtc makes it; returns the function that stops it. */
export function watchDataConnections(provider: unknown, added: (pc: RTCPeerConnection) => void): () => void {
  const emitter = provider as PeersEmitter;
  if (typeof emitter?.on !== 'function') return () => {};
  const onPeers = (event: PeersEvent) => {
    const room = emitter.room;
    if (!isYWebrtcRoom(room)) return;
    for (const peerId of event.added) {
      const pc = (room.webrtcConns.get(peerId)?.peer as TracedPeer | undefined)?._pc;
      if (pc) added(pc);
    }
  };
  emitter.on('peers', onPeers);
  return () => emitter.off('peers', onPeers);
}

/** Starts tracing; returns the function that stops it. */
export function traceDataConnections(provider: unknown, roomId: string, trace: Trace): () => void {
  const emitter = provider as PeersEmitter;
  if (typeof emitter?.on !== 'function') return () => {};
  const onPeers = ({ added, removed }: PeersEvent) => {
    const room = emitter.room;
    if (!isYWebrtcRoom(room)) return;
    for (const peerId of removed) trace('data-closed', { roomId, peer: peerId });
    for (const peerId of added) {
      const peer = room.webrtcConns.get(peerId)?.peer as TracedPeer | undefined;
      if (!peer) continue;
      trace('data-conn', { roomId, peer: peerId, initiator: peer.initiator === true });
      peer.once('connect', () => trace('data-connected', { roomId, peer: peerId }));
      peer.once('data', () => trace('data-first-message', { roomId, peer: peerId }));
      const pc = peer._pc;
      const onIce = () => {
        if (pc?.iceConnectionState !== 'connected') return;
        pc.removeEventListener('iceconnectionstatechange', onIce);
        trace('data-ice-connected', { roomId, peer: peerId });
      };
      pc?.addEventListener('iceconnectionstatechange', onIce);
    }
  };
  emitter.on('peers', onPeers);
  return () => emitter.off('peers', onPeers);
}
