import { MemoryStore, type ObjectStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { encodeFinishedJobs, takeFinishedJobs } from './finished-journal';
import { QueueKeys } from './queue-keys';

describe('finished journal', () => {
  it('a foreign object whose key has a backslash, and a garbage one, are reported and skipped on their own: the journal is still read and deleted', async () => {
    const memory = new MemoryStore();
    const keys = new QueueKeys('foreign-journal');
    const foreign = `${keys.finishedPrefix}foreign\\object`;
    // MemoryStore refuses such a key; an S3 bucket written by another tool may hold one.
    const store: ObjectStore = {
      capabilities: memory.capabilities,
      description: `foreign keys over ${memory.description}`,
      get: (key, options) => memory.get(key, options),
      put: (key, body, options) => memory.put(key, body, options),
      delete: (key, options) => memory.delete(key, options),
      list: async (options) => {
        const page = await memory.list(options);
        return options.prefix === keys.finishedPrefix ? { ...page, entries: [...page.entries, { key: foreign, size: 0, etag: '"x"' }] } : page;
      },
    };
    const journal = keys.finishedBatch(1_700_000_000_000, 'abcdefabcdef');
    await memory.put(journal, encodeFinishedJobs([{ id: 'job1', etag: '"e1"', finishedAt: 5 }]), { contentType: 'application/json' });
    const garbage = keys.finishedBatch(1_700_000_000_001, 'garbage00000');
    await memory.put(garbage, '{"format":"baton.queue.finished/1","jobs":[["x"', { contentType: 'application/json' });
    const foreignObjects: string[] = [];
    expect(await takeFinishedJobs(store, keys, undefined, (key) => foreignObjects.push(key))).toEqual([{ id: 'job1', etag: '"e1"', finishedAt: 5 }]);
    expect(await memory.get(journal)).toBeUndefined();
    // Both are reported; the garbage one (a key the store accepts) is deleted with the journal.
    expect(foreignObjects.sort()).toEqual([foreign, garbage].sort());
    expect(await memory.get(garbage)).toBeUndefined();
  });
});
