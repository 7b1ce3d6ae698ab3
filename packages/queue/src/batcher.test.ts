import { CountingStore, deleteKeys, MemoryStore, StorageUnavailableError, type ObjectStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher';
import { Queue } from './queue';
import { waitFor } from './test-support/freezable-timers';

async function storeWith(keys: readonly string[]): Promise<CountingStore> {
  const store = new CountingStore(new MemoryStore());
  for (const key of keys) await store.put(key, '');
  store.reset();
  return store;
}

const realTimers = { setTimeout: (callback: () => void, delayMs: number) => setTimeout(callback, delayMs), clearTimeout: (handle: object | number) => clearTimeout(handle as ReturnType<typeof setTimeout>) };

describe('Batcher (deleting markers)', () => {
  it('sends a full batch as one request at once', async () => {
    const keys = ['m/1', 'm/2', 'm/3'];
    const store = await storeWith(keys);
    const deletions = new Batcher<string>({ send: (markers) => deleteKeys(store, markers), timers: realTimers, batchSize: 3, delayMs: 60_000, onError: () => undefined });
    for (const key of keys) deletions.add(key);
    await deletions.flush();
    expect(store.counts.delete).toBe(1);
    expect((await store.list({ prefix: 'm/' })).entries).toEqual([]);
  });

  it('sends a partial batch when its timer fires, not before', async () => {
    const store = await storeWith(['m/1', 'm/2']);
    // Manual timers: the test decides when the delay is over.
    const scheduled = new Map<number, () => void>();
    let lastDelayMs = -1;
    const timers = {
      setTimeout: (callback: () => void, delayMs: number) => {
        lastDelayMs = delayMs;
        scheduled.set(scheduled.size + 1, callback);
        return scheduled.size;
      },
      clearTimeout: (handle: object | number) => {
        scheduled.delete(handle as number);
      },
    };
    const deletions = new Batcher<string>({ send: (markers) => deleteKeys(store, markers), timers, batchSize: 10, delayMs: 250, onError: () => undefined });
    deletions.add('m/1');
    deletions.add('m/2');
    expect(lastDelayMs).toBe(250);
    expect(scheduled.size).toBe(1); // one timer per batch, not per marker
    expect(store.counts.delete).toBe(0);
    for (const fire of scheduled.values()) fire();
    await deletions.flush();
    expect(store.counts.delete).toBe(1);
    expect(deletions.pendingCount).toBe(0);
    expect((await store.list({ prefix: 'm/' })).entries).toEqual([]);
  });

  it('reports a failed batch, never rejects, and goes on with the next', async () => {
    const store = await storeWith(['m/1', 'm/2']);
    let failNext = true;
    const flaky: ObjectStore = {
      capabilities: store.capabilities,
      description: store.description,
      get: (key, options) => store.get(key, options),
      put: (key, body, options) => store.put(key, body, options),
      delete: (key, options) => store.delete(key, options),
      list: (options) => store.list(options),
      deleteMany: async (keys, options) => {
        if (failNext) {
          failNext = false;
          throw new StorageUnavailableError('down', { operation: 'delete', key: keys[0], store: store.description });
        }
        await store.deleteMany(keys, options);
      },
    };
    const failures: string[][] = [];
    const deletions = new Batcher<string>({ send: (markers) => deleteKeys(flaky, markers), timers: realTimers, batchSize: 1, delayMs: 10, onError: (_error: unknown, markers: readonly string[]) => failures.push([...markers]) });
    deletions.add('m/1');
    await expect(deletions.flush()).resolves.toBeUndefined();
    expect(failures).toEqual([['m/1']]);
    expect(await store.get('m/1')).toBeDefined();
    deletions.add('m/2');
    await deletions.flush();
    expect(await store.get('m/2')).toBeUndefined();
  });
});

describe('Batcher.withdraw', () => {
  it('keeps a marker that is written again before its batch goes', async () => {
    const store = await storeWith(['m/1', 'm/2']);
    const deletions = new Batcher<string>({ send: (markers) => deleteKeys(store, markers), timers: realTimers, batchSize: 10, delayMs: 60_000, onError: () => undefined });
    deletions.add('m/1');
    deletions.add('m/2');
    await deletions.withdraw((marker) => marker === 'm/1');
    await deletions.flush();
    expect(await store.get('m/1')).toBeDefined();
    expect(await store.get('m/2')).toBeUndefined();
  });
});

describe('a job readied again under the same marker key', () => {
  it('is not lost when its retries fall in the same millisecond (the marker is rewritten after the batched delete)', async () => {
    const frozenWall = 1_700_000_000_000;
    const queue = new Queue({
      store: new MemoryStore(),
      name: 'same-millisecond',
      pollIntervalMs: 10,
      retryBaseDelayMs: 0,
      environment: { clock: { monotonicNow: () => performance.now(), wallNow: () => frozenWall } },
    });
    const dead: string[] = [];
    queue.on('job:dead', ({ id }) => dead.push(id));
    const id = await queue.enqueue('poison', { maxAttempts: 3 });
    const processor = queue.process(() => {
      throw new Error('boom');
    });
    try {
      await waitFor(() => dead.length === 1, 5000, 'the third failure');
    } finally {
      await processor.stop();
    }
    expect(dead).toEqual([id]);
  });
});
