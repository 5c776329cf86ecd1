/**
 * The password verifier a room is created with: PBKDF2-SHA-256 (100k iterations) of the
 * password, salted with the room id under a label of our own, so it is unrelated to the key
 * y-webrtc derives for encryption (same function, salt = room name). The relay compares it on
 * entry and says WRONG_PASSWORD at once, instead of the client silently seeing nothing.
 *
 * What the relay learns: no more than before. It already forwards y-webrtc's ciphertext, which
 * allows the same offline guessing of a weak password (see README, relay protocol).
 */
/** PBKDF2-SHA-256 iterations for every key derived from a room password (here and media/room-key.ts). */
const PASSWORD_ITERATIONS = 100_000;
const encoder = new TextEncoder();

/** PBKDF2 parameters for a room password, salted under a label of ours per use. */
export async function passwordPbkdf2(password: string, salt: string, usage: KeyUsage): Promise<[Pbkdf2Params, CryptoKey]> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, [usage]);
  return [{ name: 'PBKDF2', hash: 'SHA-256', iterations: PASSWORD_ITERATIONS, salt: encoder.encode(salt) }, material];
}

/** '' for a room without a password, so both directions of a mismatch are caught. */
export async function passwordKeyCheck(password: string | undefined, roomId: string): Promise<string> {
  if (!password) return '';
  const bits = await crypto.subtle.deriveBits(...(await passwordPbkdf2(password, `mesh-rooms/key-check/${roomId}`, 'deriveBits')), 256);
  return [...new Uint8Array(bits)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
