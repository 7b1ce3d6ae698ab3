import { describe, expect, it } from 'vitest';
import { createStore } from './create-store';
import { MemoryStore } from './memory-store';
import { objectStoreConformanceCases } from './testkit';

describe('MemoryStore conformance', () => {
  const store = new MemoryStore();
  for (const testCase of objectStoreConformanceCases({ store: () => store })) {
    it(testCase.name, testCase.run, testCase.timeoutMs);
  }
});

describe('MemoryStore', () => {
  it('is shared by every memory:// connection string with the same name, and only those', async () => {
    const first = await createStore('memory://shared-test');
    const second = await createStore('memory://shared-test');
    const other = await createStore('memory://another');
    expect(second).toBe(first);
    await first.put('k', 'v');
    expect(await second.get('k')).toBeDefined();
    expect(await other.get('k')).toBeUndefined();
    expect(first.description).toBe('memory://shared-test');
  });

  it('never completes an operation synchronously', async () => {
    const store = new MemoryStore();
    let settled = false;
    const pending = store.put('k', 'v').then(() => (settled = true));
    expect(settled).toBe(false);
    await pending;
    expect(settled).toBe(true);
  });

  it('rejects malformed preconditions', async () => {
    const store = new MemoryStore();
    await expect(store.put('k', 'v', { ifMatch: 'x', ifNoneMatch: '*' })).rejects.toThrow(/either ifNoneMatch or ifMatch/);
    await expect(store.put('k', 'v', { ifMatch: '' })).rejects.toThrow(/non-empty ETag/);
    await expect(store.put('k', 'v', { ifNoneMatch: 'etag' as '*' })).rejects.toThrow(/only '\*'/);
  });
});
