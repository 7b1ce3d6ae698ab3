import { isStorageError, sleep } from '@baton/storage';

/** How {@link retryIdempotent} repeats an attempt. */
export interface RetryOptions<T> {
  /** One attempt. Rejects with a `StorageError` (retried when `retryable`) or the caller's abort reason. */
  attempt: () => Promise<T>;
  /** The most attempts, the first included. */
  maxAttempts: number;
  /** The average delay before the first retry, in milliseconds; it doubles with each retry. */
  baseDelayMs: number;
  /** The longest single delay, in milliseconds. Default 5000. */
  maxDelayMs?: number;
  /** Stops waiting (and retrying) as soon as it aborts, rejecting with its reason. */
  signal?: AbortSignal;
  /** Where the random numbers for the jitter come from (tests pin it). Default `Math.random`. */
  random?: () => number;
}

/**
 * Runs an idempotent attempt until it succeeds, fails for good, or runs out of attempts. Only
 * `StorageError`s marked `retryable` (unavailable, throttled, timed out) are retried, after an
 * exponential delay with "equal jitter" (half fixed, half random), so that a fleet of workers
 * that failed together does not retry together.
 *
 * Never use it for conditional writes: repeating one that was applied would report a loss for a
 * write that won.
 */
export async function retryIdempotent<T>(options: RetryOptions<T>): Promise<T> {
  const random = options.random ?? Math.random;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    try {
      return await options.attempt();
    } catch (error) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      if (attemptNumber >= options.maxAttempts || !isStorageError(error) || !error.retryable) throw error;
      const ceiling = Math.min(maxDelayMs, options.baseDelayMs * 2 ** (attemptNumber - 1));
      await sleep(ceiling / 2 + (random() * ceiling) / 2, options.signal);
    }
  }
}
