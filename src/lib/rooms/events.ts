/**
 * A tiny typed emitter (DESIGN.md §3: one events map per class, `on()` returns an unsubscribe,
 * one payload object per event).
 */
export type Listener<T> = (payload: T) => void;

/**
 * A failing listener must not stop the others or leave the emitter's caller (a state machine
 * mid-transition) half done; by default its error is rethrown on its own, so it still shows up
 * as an uncaught error instead of vanishing.
 */
function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly reportListenerError: (err: unknown) => void = rethrowLater) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (err) {
        this.reportListenerError(err);
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
