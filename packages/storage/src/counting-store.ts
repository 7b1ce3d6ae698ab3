import type { DeleteOptions, GetOptions, ListOptions, ListPage, ObjectBody, ObjectStore, OperationOptions, PutOptions, PutResult, StoredObject } from './object-store';
import { deleteEachKey } from './delete-keys';

/** Request counts by operation. A `deleteMany` batch counts as one `delete` (one request on S3). */
export interface RequestCounts {
  get: number;
  put: number;
  delete: number;
  list: number;
}

/**
 * A store wrapper that counts the requests made through it, by operation: how a plugin reports
 * its storage cost (e.g. requests per sweep) and how tests and benchmarks measure it.
 */
export class CountingStore implements ObjectStore {
  /** Requests so far, by operation. */
  readonly counts: RequestCounts = { get: 0, put: 0, delete: 0, list: 0 };
  readonly #inner: ObjectStore;

  constructor(inner: ObjectStore) {
    this.#inner = inner;
  }

  /** The wrapped store's capabilities. */
  get capabilities(): ObjectStore['capabilities'] {
    return this.#inner.capabilities;
  }

  /** The wrapped store's description. */
  get description(): string {
    return this.#inner.description;
  }

  /** Every request so far. */
  get total(): number {
    return this.counts.get + this.counts.put + this.counts.delete + this.counts.list;
  }

  /** Sets every count to zero. */
  reset(): void {
    Object.assign(this.counts, { get: 0, put: 0, delete: 0, list: 0 });
  }

  /** Counted get. */
  get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    this.counts.get += 1;
    return this.#inner.get(key, options);
  }

  /** Counted put. */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    this.counts.put += 1;
    return this.#inner.put(key, body, options);
  }

  /** Counted delete. */
  delete(key: string, options?: DeleteOptions): Promise<void> {
    this.counts.delete += 1;
    return this.#inner.delete(key, options);
  }

  /** One counted delete per batch where the wrapped store batches; else one per key. */
  async deleteMany(keys: readonly string[], options?: OperationOptions): Promise<void> {
    const inner = this.#inner;
    if (inner.deleteMany === undefined) {
      await deleteEachKey(this, keys, options);
      return;
    }
    this.counts.delete += 1;
    await inner.deleteMany(keys, options);
  }

  /** Counted list. */
  list(options: ListOptions): Promise<ListPage> {
    this.counts.list += 1;
    return this.#inner.list(options);
  }
}
