import { AccessDeniedError, StorageUnavailableError } from './errors';
import { describe, expect, it } from 'vitest';
import { retryIdempotent } from './retry';

const unavailable = (): StorageUnavailableError => new StorageUnavailableError('down', { operation: 'get' });

describe('retryIdempotent', () => {
  it('retries retryable errors up to maxAttempts, then throws the last', async () => {
    let attempts = 0;
    const error = await retryIdempotent({
      attempt: () => {
        attempts += 1;
        return Promise.reject(unavailable());
      },
      maxAttempts: 4,
      baseDelayMs: 1,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(attempts).toBe(4);
  });

  it('returns the first success', async () => {
    let attempts = 0;
    const result = await retryIdempotent({
      attempt: () => {
        attempts += 1;
        return attempts < 3 ? Promise.reject(unavailable()) : Promise.resolve('done');
      },
      maxAttempts: 5,
      baseDelayMs: 1,
    });
    expect(result).toBe('done');
    expect(attempts).toBe(3);
  });

  it('does not retry errors that are not retryable, nor non-storage errors', async () => {
    for (const failure of [new AccessDeniedError('no', { operation: 'get' }), new TypeError('bug')]) {
      let attempts = 0;
      await expect(
        retryIdempotent({
          attempt: () => {
            attempts += 1;
            return Promise.reject(failure);
          },
          maxAttempts: 5,
          baseDelayMs: 1,
        }),
      ).rejects.toBe(failure);
      expect(attempts).toBe(1);
    }
  });

  it('waits with exponential backoff and jitter, capped', async () => {
    const delays: number[] = [];
    let last = Date.now();
    await retryIdempotent({
      attempt: () => {
        const now = Date.now();
        delays.push(now - last);
        last = now;
        return delays.length < 4 ? Promise.reject(unavailable()) : Promise.resolve();
      },
      maxAttempts: 4,
      baseDelayMs: 40,
      maxDelayMs: 100,
      random: () => 1,
    });
    // With random() = 1 each delay is the full ceiling: 40, 80, then capped at 100.
    expect(delays[1]).toBeGreaterThanOrEqual(38);
    expect(delays[2]).toBeGreaterThanOrEqual(78);
    expect(delays[3]).toBeGreaterThanOrEqual(98);
    expect(delays[3]).toBeLessThan(180);
  });

  it('rejects with the abort reason while waiting', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => {
      controller.abort(reason);
    }, 20);
    await expect(
      retryIdempotent({ attempt: () => Promise.reject(unavailable()), maxAttempts: 5, baseDelayMs: 10_000, signal: controller.signal }),
    ).rejects.toBe(reason);
  });

  it('schedules its waits on the injected timers and reports each retry before waiting', async () => {
    const scheduled: number[] = [];
    const notices: { attemptNumber: number; delayMs: number }[] = [];
    let attempts = 0;
    await retryIdempotent({
      attempt: () => {
        attempts += 1;
        return attempts < 3 ? Promise.reject(unavailable()) : Promise.resolve();
      },
      maxAttempts: 3,
      baseDelayMs: 1_000,
      random: () => 0,
      timers: {
        setTimeout: (callback, delayMs) => {
          scheduled.push(delayMs);
          return setImmediate(callback);
        },
        clearTimeout: () => undefined,
      },
      onRetry: ({ attemptNumber, delayMs }) => void notices.push({ attemptNumber, delayMs }),
    });
    // random() = 0: each wait is half its ceiling (1000, then 2000).
    expect(scheduled).toEqual([500, 1_000]);
    expect(notices).toEqual([
      { attemptNumber: 1, delayMs: 500 },
      { attemptNumber: 2, delayMs: 1_000 },
    ]);
  });
});
