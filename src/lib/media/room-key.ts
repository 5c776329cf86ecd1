/**
 * End-to-end encryption of a password room's media signals: AES-GCM with a key derived
 * from the room password by PBKDF2 (salted with the room id under our own label, so it is
 * unrelated to y-webrtc's key and to the relay's password verifier). The relay sees ciphertext;
 * a peer with another password cannot read a signal and cannot forge one that decrypts.
 */
import { passwordPbkdf2 } from '../rooms/password.js';

const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function deriveMediaKey(password: string, roomId: string): Promise<CryptoKey> {
  const [params, material] = await passwordPbkdf2(password, `mesh-rooms/media/${roomId}`, 'deriveKey');
  return crypto.subtle.deriveKey(params, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** base64(iv ‖ ciphertext) of the JSON text of `value`. */
export async function sealJson(key: CryptoKey, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoder.encode(JSON.stringify(value))));
  const bytes = new Uint8Array(IV_BYTES + sealed.length);
  bytes.set(iv);
  bytes.set(sealed, IV_BYTES);
  return toBase64(bytes);
}

/** The value sealed by `sealJson` with the same key, or null for anything else. */
export async function openJson(key: CryptoKey, text: string): Promise<unknown> {
  try {
    const bytes = fromBase64(text);
    if (bytes.length <= IV_BYTES) return null;
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES) }, key, bytes.subarray(IV_BYTES));
    return JSON.parse(decoder.decode(plain)) as unknown;
  } catch {
    // Another password, a corrupted or forged message: not ours to read.
    return null;
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
