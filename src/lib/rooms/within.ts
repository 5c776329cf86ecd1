/** Waits for `promise` to settle (its outcome ignored, a rejection too), but no longer than `ms`. */
export function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = promise.then(
    () => {},
    () => {},
  );
  return Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).then(() => clearTimeout(timer));
}
