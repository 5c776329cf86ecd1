/**
 * One budget for everything this client sends, all rooms together: each time a media
 * connection starts, connects or ends, every outgoing video copy gets its new share
 * (encoding-policy.ts), applied with RTCRtpSender.setParameters — no renegotiation.
 *
 * Settling: while some of this client's media connections are still connecting (copies it
 * sends, and the first attempt of each stream it plays), the copies already connected send at
 * a low frame rate. A room of six entering together sets up thirty media connections at once,
 * on what is often a laptop; pictures already flowing at full rate took the CPU those
 * handshakes needed, and the last pictures came seconds later (BENCHMARKS.md "Media"). The
 * first picture is as quick either way; the frame rate follows once everyone is connected. A
 * connection still connecting after SETTLE_MAX_MS no longer holds the others back (a member
 * that cannot be reached must not leave the room at a low frame rate), and retries do not
 * count (a player asking again for a stream, a publisher serving it again).
 *
 * Forecast: copies about to be asked for (play-forecast.ts) are planned for as if they were
 * there, so a copy starts at the share it will keep instead of being re-planned as each
 * receiver arrives.
 */
import { DEFAULT_UPLOAD_BUDGET_BPS, planEncodings, type OutgoingCopy, type VideoEncoding } from './encoding-policy.js';
import type { ComingCopy } from './play-forecast.js';

export interface BudgetedCopy {
  describe(): OutgoingCopy;
  apply(encoding: VideoEncoding | null): void;
}

/** Tells the budget which copies are about to be asked for (a room's published streams). */
export type CopyForecast = (now: number) => ComingCopy[];

/** The frame rate of connected copies while others are still connecting. */
export const SETTLING_FRAMERATE = 5;
/** How long a connection still connecting holds the copies at SETTLING_FRAMERATE, at most. */
export const SETTLE_MAX_MS = 4000;

export class UploadBudget {
  readonly budgetBps: number;
  readonly #copies = new Set<BudgetedCopy>();
  /** Connections still connecting (copies and players), with when they began. */
  readonly #connecting = new Map<object, number>();
  readonly #forecasts = new Set<CopyForecast>();
  #replanQueued = false;
  #settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Replans when the soonest forecast copy stops being expected. */
  #forecastTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(budgetBps = DEFAULT_UPLOAD_BUDGET_BPS) {
    this.budgetBps = budgetBps;
  }

  /** A new copy: it is connecting until `settled`, unless it is a retry (`connecting` false). */
  add(copy: BudgetedCopy, connecting = true): void {
    this.#copies.add(copy);
    if (connecting) this.#connecting.set(copy, performance.now());
    this.replan();
  }

  remove(copy: BudgetedCopy): void {
    this.#connecting.delete(copy);
    if (this.#copies.delete(copy)) this.replan();
  }

  /** Something else of this client's is connecting (a player's first attempt). */
  connecting(key: object): void {
    this.#connecting.set(key, performance.now());
    this.replan();
  }

  /** A copy or player that was connecting is connected, or gave up. */
  settled(key: object): void {
    if (this.#connecting.delete(key)) this.replan();
  }

  /** Plans for `forecast`'s coming copies too, until the returned function is called. */
  forecast(forecast: CopyForecast): () => void {
    this.#forecasts.add(forecast);
    this.replan();
    return () => {
      if (this.#forecasts.delete(forecast)) this.replan();
    };
  }

  /**
   * Several connections come and go together (a member leaves two rooms): plan once for all.
   * Also what a forecast calls when its coming copies change.
   */
  replan(): void {
    if (this.#replanQueued) return;
    this.#replanQueued = true;
    queueMicrotask(() => {
      this.#replanQueued = false;
      const copies = [...this.#copies];
      const coming = this.#coming();
      // Only the copies that exist get an encoding; the coming ones just take their share.
      const encodings = planEncodings([...copies.map((copy) => copy.describe()), ...coming], this.budgetBps);
      const settling = this.#settling();
      copies.forEach((copy, index) => {
        const encoding = encodings[index];
        copy.apply(encoding && settling ? { ...encoding, maxFramerate: Math.min(encoding.maxFramerate, SETTLING_FRAMERATE) } : encoding);
      });
    });
  }

  /** The forecasts' coming copies; replans when the first of them stops being expected. */
  #coming(): OutgoingCopy[] {
    clearTimeout(this.#forecastTimer);
    const now = performance.now();
    const coming = [...this.#forecasts].flatMap((forecast) => forecast(now));
    if (coming.length > 0) {
      const soonest = Math.min(...coming.map(({ expectedUntil }) => expectedUntil));
      this.#forecastTimer = setTimeout(() => this.replan(), soonest - now);
    }
    return coming.map(({ copy }) => copy);
  }

  /** Whether anything is still connecting (and not for too long); if so, replans when that runs out. */
  #settling(): boolean {
    clearTimeout(this.#settleTimer);
    const now = performance.now();
    for (const [key, began] of this.#connecting) if (now - began >= SETTLE_MAX_MS) this.#connecting.delete(key);
    if (this.#connecting.size === 0) return false;
    const lastEnd = Math.max(...this.#connecting.values()) + SETTLE_MAX_MS;
    this.#settleTimer = setTimeout(() => this.replan(), lastEnd - now);
    return true;
  }
}

/** A refused setParameters is tried this many more times (applyVideoEncoding). */
const MAX_ENCODING_RETRIES = 2;
/** Senders with a setParameters under way, and the newest encoding asked for meanwhile. */
const underWay = new WeakMap<RTCRtpSender, { next: VideoEncoding | null }>();

/**
 * Sets a sender's first (only) encoding: one setParameters at a time per sender, the newest
 * encoding last, a refused one tried again. Chromium now and then refuses a setParameters as
 * if getParameters had not been called ("InvalidStateError": seen in 1 of 5 runs of the
 * three-member e2e test, and always for a second get+set in one synchronous run); a copy
 * planned at the settling rate and then at its full rate kept 5 fps for good when the second
 * was the refused one. Per sender, not per copy: a line's sender carries one copy after
 * another (line-outgoing.ts). Works before negotiation too (Chromium gives a new sender one
 * encoding); a sender without any is left alone.
 */
export function applyVideoEncoding(sender: RTCRtpSender, encoding: VideoEncoding): void {
  const queued = underWay.get(sender);
  if (queued) {
    queued.next = encoding; // the loop below sets it once the one under way is done
    return;
  }
  const state = { next: encoding as VideoEncoding | null };
  underWay.set(sender, state);
  void (async () => {
    let refusals = 0;
    while (state.next) {
      const wanted = state.next;
      state.next = null;
      try {
        await setFirstEncoding(sender, wanted);
        refusals = 0;
      } catch {
        // Once or twice more, on a later task; a sender closed meanwhile keeps refusing, and
        // then the next encoding asked for (or none) is what counts.
        if (refusals++ < MAX_ENCODING_RETRIES && state.next === null) {
          state.next = wanted;
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
    }
    underWay.delete(sender);
  })();
}

async function setFirstEncoding(sender: RTCRtpSender, encoding: VideoEncoding): Promise<void> {
  const parameters = sender.getParameters();
  if (!parameters.encodings || parameters.encodings.length === 0) return;
  parameters.encodings[0] = { ...parameters.encodings[0], ...encoding };
  await sender.setParameters(parameters);
}
