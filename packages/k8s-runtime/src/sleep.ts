/**
 * Waits `ms`, or less when `signal` aborts (also when it already has): retry loops stop promptly
 * on shutdown and leave no timer behind. Resolves in either case; the caller checks the signal.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
