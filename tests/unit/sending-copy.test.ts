/**
 * A copy's video encoding, as the upload budget plans it: plans that come quickly one
 * after the other (the settling rate, then the full rate a moment later) must all reach the
 * sender, the newest last. Chromium 156 now and then refuses a setParameters with
 * "InvalidStateError: … getParameters() has never been called on this sender" (seen in the
 * three-member e2e test, and always for a second getParameters+setParameters in the same
 * synchronous run); the fake sender keeps that transaction rule and refuses when told to.
 */
import { describe, expect, it } from 'vitest';
import { SendingCopy } from '../../src/lib/media/outgoing.js';
import type { VideoEncoding } from '../../src/lib/media/encoding-policy.js';

/** Chromium's rule: a setParameters needs the parameters of the latest getParameters, once. */
class FakeSender {
  encodings: RTCRtpEncodingParameters[] = [{ active: true }];
  refused = 0;
  /** Refuse this many of the next calls, as Chromium now and then does. */
  refuseNext = 0;
  #lastReturned: number | null = null;
  #transaction = 0;

  getParameters(): RTCRtpSendParameters {
    this.#lastReturned = ++this.#transaction;
    return { transactionId: String(this.#transaction), encodings: this.encodings.map((encoding) => ({ ...encoding })) } as RTCRtpSendParameters;
  }

  async setParameters(parameters: RTCRtpSendParameters): Promise<void> {
    const valid = this.#lastReturned !== null && parameters.transactionId === String(this.#lastReturned);
    this.#lastReturned = null;
    if (!valid || this.refuseNext-- > 0) {
      this.refused++;
      throw new DOMException('getParameters() has never been called on this sender', 'InvalidStateError');
    }
    await new Promise((resolve) => setTimeout(resolve, 5)); // the WebRTC thread's round trip
    this.encodings = parameters.encodings;
  }
}

class TestCopy extends SendingCopy {
  /** `sender`: shared, as a line's sender is by the copies it carries one after another. */
  constructor(readonly sender = new FakeSender()) {
    super('2002', 'c1', {} as MediaStream, 'camera');
  }

  get peerConnection(): RTCPeerConnection {
    throw new Error('not used');
  }
  get connected(): boolean {
    return true;
  }
  get audioSender(): RTCRtpSender | undefined {
    return undefined;
  }
  protected get videoSender(): RTCRtpSender | undefined {
    return this.sender as unknown as RTCRtpSender;
  }
  setSpeaking(): void {}
  async replaceTrack(): Promise<void> {}
  close(): void {}
}

const settling: VideoEncoding = { maxBitrate: 1_210_000, maxFramerate: 5, scaleResolutionDownBy: 1 };
const full: VideoEncoding = { maxBitrate: 1_210_000, maxFramerate: 30, scaleResolutionDownBy: 1 };

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('SendingCopy encodings', () => {
  it('[R-30] the full rate planned right after the settling rate is what the sender ends with', async () => {
    const copy = new TestCopy();
    copy.apply(settling);
    copy.apply(full);
    await settle();
    expect(copy.sender.encodings[0]).toMatchObject({ maxFramerate: 30, maxBitrate: 1_210_000 });
    expect(copy.sender.refused).toBe(0);
  });

  it('[R-30] of many plans while one is being set, only the newest follows it', async () => {
    const copy = new TestCopy();
    const rates = [5, 10, 15, 20, 25];
    for (const maxFramerate of rates) copy.apply({ ...full, maxFramerate });
    await settle();
    expect(copy.sender.encodings[0].maxFramerate).toBe(25);
    expect(copy.sender.refused).toBe(0);
  });

  it('[R-30] a refused setParameters is tried again, and the plan lands', async () => {
    const copy = new TestCopy();
    copy.apply(settling);
    await settle();
    copy.sender.refuseNext = 2;
    copy.apply(full);
    await settle();
    expect(copy.sender.refused).toBe(2);
    expect(copy.sender.encodings[0].maxFramerate).toBe(30);
  });

  it('[R-30] a sender that keeps refusing (closed) is not tried forever', async () => {
    const copy = new TestCopy();
    copy.sender.refuseNext = 100;
    copy.apply(full);
    await settle();
    expect(copy.sender.refused).toBe(3);
    expect(copy.sender.encodings[0].maxFramerate).toBeUndefined();
  });

  it('[R-30] a line\'s next copy gets its own encoding while the last copy\'s is still being set', async () => {
    const sender = new FakeSender();
    sender.refuseNext = 1; // the last copy's plan is refused: its retry must not come after the next copy's
    const first = new TestCopy(sender);
    first.apply(settling);
    const second = new TestCopy(sender);
    second.apply(full);
    await settle();
    expect(sender.encodings[0].maxFramerate).toBe(30);
  });

  it('[R-30] a plan equal to the one set is not set again', async () => {
    const copy = new TestCopy();
    copy.apply(full);
    await settle();
    const before = copy.sender.getParameters().transactionId;
    copy.apply({ ...full });
    await settle();
    expect(Number(copy.sender.getParameters().transactionId)).toBe(Number(before) + 1);
  });
});
