import { describe, expect, it } from 'vitest';
import { CountingStore } from './counting-store';
import { listPages } from './list-pages';
import { MemoryStore } from './memory-store';

describe('listPages', () => {
  it('yields every page of a listing in order, one request each', async () => {
    const store = new CountingStore(new MemoryStore());
    for (let index = 0; index < 7; index += 1) await store.put(`p/${index}`, '');
    await store.put('q/outside', '');
    store.reset();
    const pages: string[][] = [];
    for await (const page of listPages(store, { prefix: 'p/', limit: 3 })) pages.push(page.entries.map((entry) => entry.key));
    expect(pages).toEqual([['p/0', 'p/1', 'p/2'], ['p/3', 'p/4', 'p/5'], ['p/6']]);
    expect(store.counts.list).toBe(3);
  });

  it('requests no further page once the caller stops', async () => {
    const store = new CountingStore(new MemoryStore());
    for (let index = 0; index < 7; index += 1) await store.put(`p/${index}`, '');
    store.reset();
    for await (const page of listPages(store, { prefix: 'p/', limit: 3 })) {
      if (page.entries.length > 0) break;
    }
    expect(store.counts.list).toBe(1);
  });
});
