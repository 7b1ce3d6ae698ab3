import {
  bytesToText,
  deleteKeys,
  NotFoundError,
  type DeleteOptions,
  type GetOptions,
  type ListOptions,
  type ListPage,
  type ObjectBody,
  type ObjectStore,
  type OperationOptions,
  type PutOptions,
  type PutResult,
  type StoredObject,
} from '@baton/storage';

/** An object as the guide's `client.getObject(key)` returns it: the body as text. */
export interface TextObject {
  /** The key. */
  key: string;
  /** The body, decoded as UTF-8. */
  body: string;
  /** The ETag. */
  etag: string;
}

/**
 * The hub's `client`: the store itself (every `ObjectStore` call), plus the calls the
 * troubleshooting guide makes on `database.client`: `getObject(key)`, `putObject({ key, body })`
 * and `delete(key)`.
 */
export class HubClient implements ObjectStore {
  readonly capabilities: ObjectStore['capabilities'];
  readonly description: string;
  /** The store this client talks to. */
  readonly store: ObjectStore;

  constructor(store: ObjectStore) {
    this.store = store;
    this.capabilities = store.capabilities;
    this.description = store.description;
  }

  get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    return this.store.get(key, options);
  }

  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    return this.store.put(key, body, options);
  }

  delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.store.delete(key, options);
  }

  list(options: ListOptions): Promise<ListPage> {
    return this.store.list(options);
  }

  /** See {@link ObjectStore.deleteMany} (one `delete` per key when the store has no batch delete). */
  deleteMany(keys: readonly string[], options?: OperationOptions): Promise<void> {
    return deleteKeys(this.store, keys, options);
  }

  /**
   * Reads an object as text.
   * @throws {NotFoundError} when no object exists at `key` (the guide's "Worker not found" path).
   */
  async getObject(key: string, options?: GetOptions): Promise<TextObject> {
    const object = await this.store.get(key, options);
    if (object === undefined) {
      throw new NotFoundError(`No object at ${JSON.stringify(key)}`, { operation: 'get', key, store: this.description });
    }
    return { key, body: bytesToText(object.body), etag: object.etag };
  }

  /** Writes an object (unconditionally unless `ifMatch` / `ifNoneMatch` are given). */
  putObject(request: { key: string; body: ObjectBody } & PutOptions): Promise<PutResult> {
    const { key, body, ...options } = request;
    return this.store.put(key, body, options);
  }
}
