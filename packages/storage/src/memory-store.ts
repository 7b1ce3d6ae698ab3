import { throwIfAborted } from './abort';
import { toBytes } from './body';
import { PreconditionFailedError } from './errors';
import { assertDeleteManyKeys } from './delete-keys';
import { contentEtag } from './etag';
import { assertValidKey, assertValidPrefix, compareKeys } from './keys';
import { pageOfSortedKeys } from './list-pages';
import type {
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListPage,
  ObjectBody,
  ObjectStore,
  OperationOptions,
  PutOptions,
  PutResult,
  StoreCapabilities,
  StoredObject,
} from './object-store';
import { assertOnePrecondition } from './preconditions';

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** A name for logs: the store describes itself as `memory://NAME`. Default `default`. */
  name?: string;
}

interface MemoryObject {
  body: Uint8Array;
  etag: string;
  lastModified: Date;
}

/**
 * An in-process store: every coordinator, queue and test in one process that shares an instance
 * sees one consistent set of objects, with conditional writes enforced exactly as on S3.
 * Nothing survives the process; use {@link FileSystemStore} to share state between processes.
 */
export class MemoryStore implements ObjectStore {
  /** See {@link ObjectStore.capabilities}. */
  readonly capabilities: StoreCapabilities = {
    conditionalCreate: true,
    conditionalUpdate: true,
    conditionalDelete: true,
    readAfterWrite: true,
    maxListLimit: 1000,
  };

  /** See {@link ObjectStore.description}. */
  readonly description: string;

  readonly #objects = new Map<string, MemoryObject>();
  // Sorted lazily: listing is rare next to reads and writes.
  #sortedKeys: string[] | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.description = `memory://${options.name ?? 'default'}`;
  }

  /** The number of objects stored. */
  get size(): number {
    return this.#objects.size;
  }

  /** See {@link ObjectStore.get}. */
  async get(key: string, options: GetOptions = {}): Promise<StoredObject | undefined> {
    assertValidKey(key, 'get');
    await settle(options.signal);
    const object = this.#objects.get(key);
    if (object === undefined) return undefined;
    return { key, body: new Uint8Array(object.body), etag: object.etag, lastModified: object.lastModified };
  }

  /** See {@link ObjectStore.put}. */
  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    assertValidKey(key, 'put');
    assertOnePrecondition(options, key);
    const bytes = toBytes(body);
    await settle(options.signal);
    // From here to the write nothing awaits, so the check and the write are one atomic step.
    const current = this.#objects.get(key);
    if (options.ifNoneMatch === '*' && current !== undefined) {
      throw new PreconditionFailedError({ operation: 'put', key, store: this.description });
    }
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
      throw new PreconditionFailedError({ operation: 'put', key, store: this.description });
    }
    const etag = contentEtag(bytes);
    if (current === undefined) this.#sortedKeys = undefined;
    this.#objects.set(key, { body: bytes, etag, lastModified: new Date() });
    return { etag };
  }

  /** See {@link ObjectStore.delete}. */
  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    assertValidKey(key, 'delete');
    await settle(options.signal);
    const current = this.#objects.get(key);
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
      throw new PreconditionFailedError({ operation: 'delete', key, store: this.description });
    }
    if (current !== undefined) {
      this.#objects.delete(key);
      this.#sortedKeys = undefined;
    }
  }

  /** See {@link ObjectStore.deleteMany}. */
  async deleteMany(keys: readonly string[], options: OperationOptions = {}): Promise<void> {
    assertDeleteManyKeys(keys);
    await settle(options.signal);
    for (const key of keys) {
      if (this.#objects.delete(key)) this.#sortedKeys = undefined;
    }
  }

  /** See {@link ObjectStore.list}. */
  async list(options: ListOptions): Promise<ListPage> {
    assertValidPrefix(options.prefix);
    await settle(options.signal);
    this.#sortedKeys ??= [...this.#objects.keys()].sort(compareKeys);
    const page = pageOfSortedKeys(this.#sortedKeys, options, this.capabilities.maxListLimit);
    return {
      entries: page.keys.map((key) => {
        const object = this.#objects.get(key) as MemoryObject;
        return { key, size: object.body.byteLength, etag: object.etag, lastModified: object.lastModified };
      }),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    };
  }

  /** Removes every object. For tests. */
  clear(): void {
    this.#objects.clear();
    this.#sortedKeys = undefined;
  }
}

/**
 * Yields to the event loop before touching state, as a network store would, so that callers
 * cannot come to rely on an operation completing synchronously; then honours the signal.
 */
async function settle(signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(signal);
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfAborted(signal);
}
