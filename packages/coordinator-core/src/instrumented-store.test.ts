import { systemEnvironment } from '@baton/plugin';
import { MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { InstrumentedStore, type StorageRequest } from './instrumented-store';

describe('InstrumentedStore observers', () => {
  it('see every request with its outcome and duration, cannot break it, and can be removed', async () => {
    const store = new InstrumentedStore(new MemoryStore(), systemEnvironment.clock);
    const seen: StorageRequest[] = [];
    const stop = store.observe((request) => seen.push(request));
    store.observe(() => {
      throw new Error('a broken observer');
    });
    const { etag } = await store.put('a', 'x');
    await expect(store.put('a', 'y', { ifNoneMatch: '*' })).rejects.toThrow();
    await store.get('a');
    expect(seen.map(({ operation, outcome }) => [operation, outcome])).toEqual([
      ['put', 'ok'],
      ['put', 'precondition_failed'],
      ['get', 'ok'],
    ]);
    expect(seen.every((request) => request.durationMs >= 0)).toBe(true);
    stop();
    await store.put('a', 'z', { ifMatch: etag }).catch(() => undefined);
    expect(seen).toHaveLength(3);
    expect(store.snapshot().requests.put).toBe(3);
  });
});
