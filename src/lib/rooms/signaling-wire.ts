/**
 * y-webrtc 10.3's signaling payloads as they travel in a relay `publish` (the `data` field), so
 * that announce-gate.ts can read them from our side: a plain JSON object in a room
 * without a password; with one, the object encoded with lib0's `writeAny`, sealed with the
 * room's AES-GCM key (y-webrtc's `room.key`) as lib0 varString "AES-GCM" + varUint8Array IV +
 * varUint8Array ciphertext, and sent as base64 (y-webrtc src/crypto.js, encryptJson/decryptJson).
 */
import * as decoding from 'lib0/decoding';
import { fromBase64 } from 'lib0/buffer';

const ALGORITHM = 'AES-GCM';

/** What a y-webrtc peer signals: `announce` (to all, or `to` one peer) or `signal` (`to` one peer). */
export interface SignalingData {
  type?: unknown;
  from?: unknown;
  to?: unknown;
  signal?: { type?: unknown };
}

/** The payload's content, or null when it is not one this key opens (or not one at all). */
export async function openSignalingData(data: unknown, key: CryptoKey | null): Promise<SignalingData | null> {
  if (!key) return typeof data === 'object' && data !== null ? (data as SignalingData) : null;
  if (typeof data !== 'string') return null;
  try {
    const decoder = decoding.createDecoder(fromBase64(data));
    if (decoding.readVarString(decoder) !== ALGORITHM) return null;
    const iv = decoding.readVarUint8Array(decoder);
    const cipher = decoding.readVarUint8Array(decoder);
    const plain = new Uint8Array(await crypto.subtle.decrypt({ name: ALGORITHM, iv }, key, cipher));
    const value: unknown = decoding.readAny(decoding.createDecoder(plain));
    return typeof value === 'object' && value !== null ? (value as SignalingData) : null;
  } catch {
    // Peer input: a payload sealed with another key, or garbage, is simply not ours to read.
    return null;
  }
}
