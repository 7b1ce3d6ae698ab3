/** Throws the signal's reason (an `AbortError` by default) if it has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

/** The timers {@link sleep} schedules with: Node's, or injected ones (a simulator's). */
export interface SleepTimers<Handle = unknown> {
  /** Calls `callback` once after about `delayMs` milliseconds. */
  setTimeout(callback: () => void, delayMs: number): Handle;
  /** Cancels a timer. */
  clearTimeout(handle: Handle): void;
}

const nodeTimers: SleepTimers<ReturnType<typeof setTimeout>> = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => {
    clearTimeout(handle);
  },
};

/**
 * Resolves after `milliseconds` (on `timers`, Node's by default), or rejects with the signal's
 * reason as soon as it aborts.
 */
export function sleep<Handle = ReturnType<typeof setTimeout>>(
  milliseconds: number,
  signal?: AbortSignal,
  timers: SleepTimers<Handle> = nodeTimers as unknown as SleepTimers<Handle>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      timers.clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
