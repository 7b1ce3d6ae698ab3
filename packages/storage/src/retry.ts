import { sleep, type SleepTimers } from './abort';
import { isRetryableStorageError } from './errors';

/** What {@link retryIdempotent} tells `onRetry` before it waits. */
export interface RetryNotice {
  /** The error of the attempt that just failed (a retryable one). */
  error: unknown;
  /** The number of the attempt that failed, from 1. */
  attemptNumber: number;
  /** The most attempts, the first included. */
  maxAttempts: number;
  /** How long it waits before the next attempt, in milliseconds. */
  delayMs: number;
}

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
  signal?: AbortSignal | undefined;
  /** Where the random numbers for the jitter come from (tests pin it). Default `Math.random`. */
  random?: (() => number) | undefined;
  /** The timers the delays are scheduled on (a simulator's, a test's). Default Node's. */
  timers?: SleepTimers | undefined;
  /** Called before each wait, e.g. to log the retry. */
  onRetry?: ((notice: RetryNotice) => void) | undefined;
}

/**
 * Runs an idempotent attempt until it succeeds, fails for good, or runs out of attempts. Only
 * errors {@link isRetryableStorageError} accepts (unavailable, throttled, timed out, outcome
 * unknown) are retried, after an exponential delay with "equal jitter" (half fixed, half
 * random), so that a fleet of workers that failed together does not retry together.
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
      if (attemptNumber >= options.maxAttempts || !isRetryableStorageError(error)) throw error;
      const ceiling = Math.min(maxDelayMs, options.baseDelayMs * 2 ** (attemptNumber - 1));
      const delayMs = ceiling / 2 + (random() * ceiling) / 2;
      options.onRetry?.({ error, attemptNumber, maxAttempts: options.maxAttempts, delayMs });
      await sleep(delayMs, options.signal, options.timers);
    }
  }
}
