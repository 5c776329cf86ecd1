/**
 * One budget for everything this client sends, all rooms together: each time a media
 * connection starts or ends, every outgoing video copy gets its new share (encoding-policy.ts),
 * applied with RTCRtpSender.setParameters — no renegotiation.
 */
import { DEFAULT_UPLOAD_BUDGET_BPS, planEncodings, type OutgoingCopy, type VideoEncoding } from './encoding-policy.js';

export interface BudgetedCopy {
  describe(): OutgoingCopy;
  apply(encoding: VideoEncoding | null): void;
}

export class UploadBudget {
  readonly budgetBps: number;
  readonly #copies = new Set<BudgetedCopy>();
  #replanQueued = false;

  constructor(budgetBps = DEFAULT_UPLOAD_BUDGET_BPS) {
    this.budgetBps = budgetBps;
  }

  add(copy: BudgetedCopy): void {
    this.#copies.add(copy);
    this.replan();
  }

  remove(copy: BudgetedCopy): void {
    if (this.#copies.delete(copy)) this.replan();
  }

  /** Several connections come and go together (a member leaves two rooms): plan once for all. */
  replan(): void {
    if (this.#replanQueued) return;
    this.#replanQueued = true;
    queueMicrotask(() => {
      this.#replanQueued = false;
      const copies = [...this.#copies];
      const encodings = planEncodings(
        copies.map((copy) => copy.describe()),
        this.budgetBps,
      );
      copies.forEach((copy, index) => copy.apply(encodings[index]));
    });
  }
}

/**
 * Sets a sender's first (only) encoding. Works before negotiation too (Chromium gives a new
 * sender one encoding); a sender without any is left alone.
 */
export async function applyVideoEncoding(sender: RTCRtpSender, encoding: VideoEncoding): Promise<void> {
  const parameters = sender.getParameters();
  if (!parameters.encodings || parameters.encodings.length === 0) return;
  parameters.encodings[0] = { ...parameters.encodings[0], ...encoding };
  await sender.setParameters(parameters);
}
