import { MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { TTLCollection } from './ttl-collection';
import type { TTLCollectionOptions } from './ttl-options';
import { TTLPlugin } from './ttl-plugin';

describe('unknown option names', () => {
  it('rejects a misspelt collection option with InvalidTTLOptionsError naming it', () => {
    const options = { store: new MemoryStore(), stratgy: 'archive' } as unknown as TTLCollectionOptions;
    expect(() => new TTLCollection(options)).toThrow(expect.objectContaining({ code: 'INVALID_TTL_OPTIONS', option: 'stratgy' }));
  });

  it('rejects a misspelt plugin option when the plugin is constructed', () => {
    expect(() => new TTLPlugin({ sweepIntervalMS: 10 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_TTL_OPTIONS', option: 'sweepIntervalMS' }));
  });

  it('rejects a misspelt set option and writes nothing', async () => {
    const store = new MemoryStore();
    const ttl = new TTLCollection({ store, collection: 'names', defaultTtlMs: 60_000 });
    await expect(ttl.set('k', 1, { ttl: 5 } as never)).rejects.toMatchObject({ code: 'INVALID_TTL_OPTIONS', option: 'ttl' });
    expect((await store.list({ prefix: ttl.root })).entries).toEqual([]);
  });
});
