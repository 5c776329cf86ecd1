/**
 * A room's media signaling over the relay link: signals addressed to this member come out,
 * signals to others go in, sealed with the room key when the room has a password.
 * Sealing and opening are asynchronous; both run in a queue so signals keep their order
 * (a candidate must not overtake its offer).
 */
import type { RelayLink } from '../rooms/relay-link.js';
import { mediaTopic, parseSignal, type MediaSignal } from './signals.js';
import { openJson, sealJson } from './room-key.js';

/** The envelope on the wire: `s` a plain signal, or `e` a sealed one. */
interface Envelope {
  v: 1;
  s?: unknown;
  e?: string;
}

export class SignalChannel {
  readonly #link: RelayLink;
  readonly #topic: string;
  readonly #key: CryptoKey | null;
  readonly #localMemberId: string;
  readonly #unsubscribe: () => void;
  #outgoing: Promise<void> = Promise.resolve();
  #incoming: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(link: RelayLink, roomId: string, key: CryptoKey | null, localMemberId: string, onSignal: (signal: MediaSignal) => void) {
    this.#link = link;
    this.#topic = mediaTopic(roomId);
    this.#key = key;
    this.#localMemberId = localMemberId;
    this.#unsubscribe = link.subscribe(this.#topic, (data) => {
      // One bad signal (or a handler that throws on it) must not reject the queue: every later
      // signal of the room would be skipped and its media never connect again.
      this.#incoming = this.#incoming
        .then(async () => {
          const signal = await this.#open(data);
          if (signal && !this.#closed && signal.to === this.#localMemberId && signal.from !== this.#localMemberId) onSignal(signal);
        })
        .catch((error: unknown) => console.warn(`media signal on ${this.#topic} dropped:`, error));
    });
  }

  send(signal: MediaSignal): void {
    if (this.#closed) return;
    this.#outgoing = this.#outgoing
      .then(async () => {
        const envelope: Envelope = this.#key ? { v: 1, e: await sealJson(this.#key, signal) } : { v: 1, s: signal };
        // The link drops what is published while its socket is down, and a lost play request
        // costs the player its whole timeout: wait for the socket (open means this channel's
        // topic is subscribed on it, so answers can come back). After a long outage what was
        // queued goes late: a player drops what belongs to an attempt it gave up (player.ts).
        await this.#link.whenOpen();
        if (!this.#closed) this.#link.publish(this.#topic, envelope);
      })
      .catch((error: unknown) => console.warn(`media signal on ${this.#topic} not sent:`, error));
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
  }

  async #open(data: unknown): Promise<MediaSignal | null> {
    if (typeof data !== 'object' || data === null) return null;
    const envelope = data as Partial<Envelope>;
    if (this.#key) return typeof envelope.e === 'string' ? parseSignal(await openJson(this.#key, envelope.e)) : null;
    return parseSignal(envelope.s);
  }
}
