import { throwIfAborted } from './abort';
import { assertValidKey } from './keys';
import type { ObjectStore, OperationOptions } from './object-store';

/** The most keys one {@link ObjectStore.deleteMany} call takes: the S3 `DeleteObjects` limit. */
export const MAX_KEYS_PER_DELETE_MANY = 1000;

// Without a batch operation, this many single deletes are in flight at once: enough to hide
// latency, few enough not to flood a store.
const SINGLE_DELETE_CONCURRENCY = 8;

/**
 * Deletes every key in `keys`, unconditionally: in batches of {@link MAX_KEYS_PER_DELETE_MANY}
 * where the store has `deleteMany`, else one `delete` per key. Missing keys are fine. Every key
 * is validated before anything is deleted.
 *
 * @throws {InvalidKeyError} when any key is invalid.
 */
export async function deleteKeys(store: ObjectStore, keys: readonly string[], options: OperationOptions = {}): Promise<void> {
  for (const key of keys) assertValidKey(key, 'delete');
  if (store.deleteMany === undefined) {
    await deleteEachKey(store, keys, options);
    return;
  }
  for (let start = 0; start < keys.length; start += MAX_KEYS_PER_DELETE_MANY) {
    await store.deleteMany(keys.slice(start, start + MAX_KEYS_PER_DELETE_MANY), options);
  }
}

/**
 * Deletes every key with one `delete` each (a few at a time): the fallback of {@link deleteKeys},
 * and what a store wrapper's `deleteMany` does when the store it wraps has none.
 */
export async function deleteEachKey(store: ObjectStore, keys: readonly string[], options: OperationOptions = {}): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      throwIfAborted(options.signal);
      const key = keys[next] as string;
      next += 1;
      await store.delete(key, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SINGLE_DELETE_CONCURRENCY, keys.length) }, worker));
}

/**
 * For backends implementing `deleteMany`: checks the batch size and every key before anything is
 * deleted.
 *
 * @throws {InvalidKeyError} when a key is invalid.
 * @throws {RangeError} when there are more than {@link MAX_KEYS_PER_DELETE_MANY} keys.
 */
export function assertDeleteManyKeys(keys: readonly string[]): void {
  if (keys.length > MAX_KEYS_PER_DELETE_MANY) {
    throw new RangeError(`deleteMany takes at most ${MAX_KEYS_PER_DELETE_MANY} keys (got ${keys.length}); use deleteKeys(store, keys), which splits them`);
  }
  for (const key of keys) assertValidKey(key, 'delete');
}
