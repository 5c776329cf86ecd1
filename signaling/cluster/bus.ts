/**
 * Publishes shared through Redis pub/sub: one channel per topic, subscribed by every
 * relay that has a member in the topic. A relay fans a publish out to its own subscribers as
 * before and also PUBLISHes the received bytes once; each other relay builds the frame once
 * and writes it to its own subscribers (frame.ts), so a frame is still serialized once per
 * receiving process.
 *
 * A message starts with the sending process's id: the sender is subscribed to the channel too
 * (it has members there), and Redis hands every publisher its own message back, which it drops.
 */
import type { RedisLink } from './link.js';
import type { ClusterKeys } from './keys.js';

/** Length of a process id in bytes (16 hex digits); every bus message starts with one. */
export const PROCESS_ID_BYTES = 16;
/** SUBSCRIBE this many channels per command when (re)subscribing to everything. */
const SUBSCRIBE_BATCH = 1000;

export interface BusHooks {
  /** A publish from another relay: the sender's received bytes, for the local fan-out. */
  deliver(topic: string, received: Buffer): void;
  failed(err: unknown): void;
}

export interface BusCounters {
  published: number;
  received: number;
}

export class TopicBus {
  readonly counters: BusCounters = { published: 0, received: 0 };
  /** Topics with a member on this relay: the channels it should be subscribed to. */
  readonly #topics = new Set<string>();
  /** SUBSCRIBEs sent and not yet confirmed, by topic. */
  readonly #pending = new Map<string, Promise<void>>();
  readonly #processId: Buffer;
  readonly #channelPrefixBytes: number;
  readonly #onPublishFailed = (err: unknown) => {
    if (err) this.hooks.failed(err);
  };

  constructor(
    processId: string,
    private readonly link: RedisLink,
    private readonly keys: ClusterKeys,
    private readonly hooks: BusHooks,
  ) {
    this.#processId = Buffer.from(processId, 'latin1');
    if (this.#processId.length !== PROCESS_ID_BYTES) throw new Error(`process id must be ${PROCESS_ID_BYTES} bytes`);
    this.#channelPrefixBytes = Buffer.byteLength(keys.channelPrefix);
  }

  /** The topic got its first member here. Resolves once Redis confirms the subscription. */
  open(topic: string): Promise<void> {
    this.#topics.add(topic);
    if (!this.link.subscriberReady) return Promise.resolve();
    const confirmed = this.link.subscriber.subscribe(this.keys.channel(topic)).then(
      () => undefined,
      (err: unknown) => this.hooks.failed(err),
    );
    this.#pending.set(topic, confirmed);
    void confirmed.then(() => {
      if (this.#pending.get(topic) === confirmed) this.#pending.delete(topic);
    });
    return confirmed;
  }

  /** Resolves when publishes to the topic from other relays reach this one (as far as known). */
  subscribed(topic: string): Promise<void> {
    return this.#pending.get(topic) ?? Promise.resolve();
  }

  /** The topic's last member here left. */
  close(topic: string): void {
    this.#topics.delete(topic);
    this.#pending.delete(topic);
    if (!this.link.subscriberReady) return;
    this.link.subscriber.unsubscribe(this.keys.channel(topic)).catch((err: unknown) => this.hooks.failed(err));
  }

  /** Hands a publish, as received from a client here, to the other relays. */
  publish(topic: string, received: Buffer): void {
    // While Redis is away, publishes reach this relay's subscribers only (README, Self-hosting).
    if (!this.link.commandsReady) return;
    this.counters.published++;
    void this.link.commands.publish(this.keys.channel(topic), Buffer.concat([this.#processId, received]), this.#onPublishFailed);
  }

  /** The subscriber connection is (again) ready: subscribe to every topic with a member here. */
  resubscribe(): void {
    const channels = [...this.#topics].map((topic) => this.keys.channel(topic));
    for (let i = 0; i < channels.length; i += SUBSCRIBE_BATCH) {
      this.link.subscriber.subscribe(...channels.slice(i, i + SUBSCRIBE_BATCH)).catch((err: unknown) => this.hooks.failed(err));
    }
  }

  onMessage(channel: Buffer, message: Buffer): void {
    if (message.length <= PROCESS_ID_BYTES) return;
    if (message.compare(this.#processId, 0, PROCESS_ID_BYTES, 0, PROCESS_ID_BYTES) === 0) return;
    this.counters.received++;
    this.hooks.deliver(channel.toString('utf8', this.#channelPrefixBytes), message.subarray(PROCESS_ID_BYTES));
  }
}
