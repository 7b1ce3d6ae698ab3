import { MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { InvalidQueueOptionsError } from './errors';
import { Queue } from './queue';
import { resolveQueueOptions, type QueueOptions } from './queue-options';

describe('resolveQueueOptions', () => {
  it('rejects an idempotency window longer than the completed retention: a purge inside it would let a duplicate run', () => {
    const store = new MemoryStore();
    expect(() => resolveQueueOptions({ store, completedRetentionMs: 60_000, idempotencyWindowMs: 60_001 })).toThrow(InvalidQueueOptionsError);
    expect(() => resolveQueueOptions({ store, completedRetentionMs: 1000 })).toThrow(/idempotencyWindowMs/);
    expect(resolveQueueOptions({ store, completedRetentionMs: 60_000, idempotencyWindowMs: 60_000 }).idempotencyWindowMs).toBe(60_000);
  });

  it('rejects misspelt queue option names with a typed error naming them', () => {
    const options = { store: new MemoryStore(), visibilityTimeout: 5000 } as unknown as QueueOptions;
    expect(() => resolveQueueOptions(options)).toThrow(InvalidQueueOptionsError);
    expect(() => resolveQueueOptions(options)).toThrow(/visibilityTimeout.*unknown option/);
  });

  it('rejects misspelt processor option names with a typed error naming them', () => {
    const queue = new Queue({ store: new MemoryStore(), name: 'misspelt' });
    const error = ((): unknown => {
      try {
        queue.process(() => undefined, { concurency: 4 } as never);
        return undefined;
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidQueueOptionsError);
    expect(error).toMatchObject({ code: 'INVALID_QUEUE_OPTIONS', option: 'concurency' });
  });
});
