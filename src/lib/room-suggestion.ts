/**
 * A random room name for the lobby to suggest: easy to read aloud and to type, valid by,
 * and unlikely to meet strangers (about 2.6 million combinations).
 */
const ADJECTIVES = ['calm', 'bright', 'quick', 'quiet', 'brave', 'green', 'sunny', 'misty', 'lucky', 'gentle', 'bold', 'clever', 'happy', 'silver', 'golden', 'swift'];
const NOUNS = ['river', 'maple', 'harbor', 'meadow', 'comet', 'falcon', 'garden', 'island', 'lantern', 'orchard', 'pebble', 'summit', 'willow', 'canyon', 'forest', 'valley'];

export function suggestRoomId(random: () => number = Math.random): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${1000 + Math.floor(random() * 9000)}`;
}
