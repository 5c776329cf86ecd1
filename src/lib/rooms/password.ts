/**
 * The password verifier a room is created with: PBKDF2-SHA-256 (100k iterations) of the
 * password, salted with the room id under a label of our own, so it is unrelated to the key
 * y-webrtc derives for encryption (same function, salt = room name). The relay compares it on
 * entry and says WRONG_PASSWORD at once, instead of the client silently seeing nothing.
 *
 * What the relay learns: no more than before. It already forwards y-webrtc's ciphertext, which
 * allows the same offline guessing of a weak password (see README, relay protocol).
 */
const ITERATIONS = 100_000;
const encoder = new TextEncoder();

/** '' for a room without a password, so both directions of a mismatch are caught. */
export async function passwordKeyCheck(password: string | undefined, roomId: string): Promise<string> {
  if (!password) return '';
  const material = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', iterations: ITERATIONS, salt: encoder.encode(`mesh-rooms/key-check/${roomId}`) },
    material,
    256,
  );
  return [...new Uint8Array(bits)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
