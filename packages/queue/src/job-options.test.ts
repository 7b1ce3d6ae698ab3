import { MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { InvalidJobOptionsError, InvalidQueueOptionsError } from './errors';
import { resolveEnqueueOptions } from './job-options';
import { Queue } from './queue';
import { retryDelay } from './queue-options';

describe('resolveEnqueueOptions', () => {
  it('applies defaults and resolves delays against the given wall time', () => {
    expect(resolveEnqueueOptions(undefined, 1000, 3)).toEqual({ availableAt: 1000, delayed: false, priority: 0, idempotencyKey: null, maxAttempts: 3, timeoutMs: null });
    expect(resolveEnqueueOptions({ delayMs: 500 }, 1000, 3)).toMatchObject({ availableAt: 1500, delayed: true });
    expect(resolveEnqueueOptions({ runAt: new Date(900) }, 1000, 3)).toMatchObject({ availableAt: 900, delayed: false });
  });

  it.each([
    [{ delayMs: -1 }, 'delayMs'],
    [{ delayMs: 1, runAt: 5 }, 'delayMs'],
    [{ runAt: new Date(Number.NaN) }, 'runAt'],
    [{ priority: 1000 }, 'priority'],
    [{ idempotencyKey: '' }, 'idempotencyKey'],
    [{ maxAttempts: 0 }, 'maxAttempts'],
    [{ timeoutMs: 0.5 }, 'timeoutMs'],
    [{ retries: 3 }, 'retries'],
  ])('rejects %o naming %s', (options, option) => {
    expect(() => resolveEnqueueOptions(options as never, 0, 3)).toThrow(InvalidJobOptionsError);
    try {
      resolveEnqueueOptions(options as never, 0, 3);
    } catch (error) {
      expect((error as InvalidJobOptionsError).option).toBe(option);
    }
  });
});

describe('queue options', () => {
  it('rejects invalid queue options', () => {
    const store = new MemoryStore();
    expect(() => new Queue({ store, name: 'Bad Name' })).toThrow(InvalidQueueOptionsError);
    expect(() => new Queue({ store, visibilityTimeoutMs: 10 })).toThrow(/visibilityTimeoutMs/);
    expect(() => new Queue({ store, retryBaseDelayMs: 10, retryMaxDelayMs: 5 })).toThrow(/retryMaxDelayMs/);
  });

  it('retry delays grow exponentially with equal jitter, capped', () => {
    const options = { retryBaseDelayMs: 100, retryMaxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelay(options, attempt, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect(retryDelay(options, 3, () => 0.999_999)).toBe(399);
  });
});
