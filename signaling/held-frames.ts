/**
 * Frames of one connection held back while its room request waits for Redis, so the
 * relay still handles each connection's frames in the order they came (an `unsubscribe` right
 * after a `room-enter` must not overtake it). Redis answers in a millisecond or so; a client
 * that sends more than this meanwhile has its extra frames refused as rate-limited.
 */
const MAX_FRAMES = 256;
const MAX_BYTES = 1024 * 1024;

export class HeldFrames {
  readonly frames: Buffer[] = [];
  #bytes = 0;

  /** false when full: the caller refuses the frame instead. */
  hold(frame: Buffer): boolean {
    if (this.frames.length >= MAX_FRAMES || this.#bytes + frame.length > MAX_BYTES) return false;
    this.frames.push(frame);
    this.#bytes += frame.length;
    return true;
  }
}
