import { MemoryStore, StorageUnavailableError, type ObjectBody, type PutOptions, type PutResult } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { TTLCollection } from './ttl-collection';

/** A store whose next record write is applied and then reported as failed (as S3 may answer 500 after committing). */
class AppliedThenFailedStore extends MemoryStore {
  failNextRecordWrite = false;

  override async put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    const result = await super.put(key, body, options);
    if (this.failNextRecordWrite && key.includes('/records/')) {
      this.failNextRecordWrite = false;
      throw new StorageUnavailableError('500 after commit', { operation: 'put', key });
    }
    return result;
  }
}

describe('RecordStore writes follow writeConditionally', () => {
  it('settles a record write that failed with a 5xx after it was applied by re-reading: the write is in effect', async () => {
    const store = new AppliedThenFailedStore();
    const ttl = new TTLCollection({ store, collection: 'settle' });
    store.failNextRecordWrite = true;
    await ttl.set('k', 1, { ttlMs: 60_000 });
    expect((await ttl.get('k'))?.value).toBe(1);
  });
});
