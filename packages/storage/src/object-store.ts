/**
 * The contract every storage backend implements. It is deliberately small: four operations and a
 * capability report. Everything baton builds (leases, queues, TTL indexes) rests on two conditional
 * writes that a backend must enforce atomically:
 *
 * - `put(key, body, { ifNoneMatch: '*' })` creates the object only if no object exists at `key`;
 * - `put(key, body, { ifMatch: etag })` replaces the object only if its current ETag is `etag`.
 *
 * A backend that cannot enforce these must say so in {@link StoreCapabilities}; `probeStorage()`
 * checks the claim at run time.
 */
export interface ObjectStore {
  /** What this store can enforce. Read once by callers; must not change over the store's life. */
  readonly capabilities: StoreCapabilities;

  /**
   * A human-readable location for logs and diagnostics, e.g. `file:///var/lib/baton` or
   * `s3://bucket/prefix`. Never contains credentials.
   */
  readonly description: string;

  /**
   * Reads the object at `key`.
   *
   * @returns the object, or `undefined` when no object exists at `key`.
   * @throws {InvalidKeyError} when `key` is not a valid key.
   * @throws {StorageUnavailableError} when the store cannot be reached (retryable).
   */
  get(key: string, options?: GetOptions): Promise<StoredObject | undefined>;

  /**
   * Writes `body` at `key`, optionally only under a precondition.
   *
   * @throws {PreconditionFailedError} when `ifNoneMatch: '*'` and an object exists, or when
   *   `ifMatch` is given and the object is missing or has another ETag. The write was not applied.
   * @throws {OutcomeUnknownError} when a conditional write may or may not have been applied
   *   (timeout, 5xx, 409 on some S3-compatibles). Re-read before deciding anything.
   */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult>;

  /**
   * Deletes the object at `key`. Deleting a missing object succeeds (as in S3).
   *
   * @throws {PreconditionFailedError} when `ifMatch` is given and the object is missing or has another ETag.
   * @throws {UnsupportedOperationError} when `ifMatch` is given but `capabilities.conditionalDelete` is false:
   *   a store that would silently ignore the condition is never asked to.
   */
  delete(key: string, options?: DeleteOptions): Promise<void>;

  /**
   * Optional. Deletes every key in `keys` (at most 1000: `MAX_KEYS_PER_DELETE_MANY`),
   * unconditionally, in one request where the backend can (S3 `DeleteObjects`). Missing keys are
   * fine. Not atomic: after a failure some keys may be gone, and repeating the call is safe.
   * Callers use `deleteKeys(store, keys)`, which falls back to one `delete` per key.
   *
   * @throws {InvalidKeyError} when any key is invalid; nothing is deleted then.
   */
  deleteMany?(keys: readonly string[], options?: OperationOptions): Promise<void>;

  /**
   * Lists keys that start with `prefix`, in ascending order of their UTF-8 bytes (as S3 does),
   * one page at a time. Pass the returned `nextCursor` back to get the next page.
   */
  list(options: ListOptions): Promise<ListPage>;
}

/** The body of an object: bytes, or a string stored as UTF-8. */
export type ObjectBody = Uint8Array | string;

/** Options every operation accepts. */
export interface OperationOptions {
  /** Aborts the operation. An aborted write may or may not have been applied. */
  signal?: AbortSignal;
}

/** Options for {@link ObjectStore.get}. */
export type GetOptions = OperationOptions;

/** Options for {@link ObjectStore.put}. At most one precondition may be given. */
export interface PutOptions extends OperationOptions {
  /** `'*'`: write only if no object exists at the key (create-if-absent). */
  ifNoneMatch?: '*';
  /** Write only if the current object's ETag equals this one (compare-and-swap). */
  ifMatch?: string;
  /** Stored as the object's content type where the backend keeps one. */
  contentType?: string;
}

/** Options for {@link ObjectStore.delete}. */
export interface DeleteOptions extends OperationOptions {
  /** Delete only if the current object's ETag equals this one. Needs `capabilities.conditionalDelete`. */
  ifMatch?: string;
}

/** Options for {@link ObjectStore.list}. */
export interface ListOptions extends OperationOptions {
  /** Only keys starting with this string. An empty prefix lists everything in the store. */
  prefix: string;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** The most keys to return in this page (the backend may return fewer). Default 1000. */
  limit?: number;
}

/** An object as read from a store. */
export interface StoredObject {
  /** The key it was read from. */
  key: string;
  /** Its content. */
  body: Uint8Array;
  /**
   * An opaque version tag, compared only for equality (as `ifMatch`). Unquoted. Any change of the
   * bytes changes it; writing identical bytes may give the same ETag (stores may hash the content).
   */
  etag: string;
  /** The backend's own modification time. For information only: never compare it between hosts. */
  lastModified?: Date;
}

/** The result of a successful {@link ObjectStore.put}. */
export interface PutResult {
  /** The ETag of the object as written. */
  etag: string;
}

/** One key in a {@link ListPage}. */
export interface ListEntry {
  /** The full key. */
  key: string;
  /** Its size in bytes. */
  size: number;
  /** Its ETag where the backend reports one in listings. */
  etag?: string;
  /** The backend's own modification time. For information only. */
  lastModified?: Date;
}

/** One page of a listing. */
export interface ListPage {
  /** Keys in ascending UTF-8 byte order. */
  entries: ListEntry[];
  /** Present when more keys may follow: pass it as `cursor` to get them. */
  nextCursor?: string;
}

/** What a store enforces. `probeStorage()` verifies these claims against the live store. */
export interface StoreCapabilities {
  /** `put` with `ifNoneMatch: '*'` is atomic create-if-absent. */
  conditionalCreate: boolean;
  /** `put` with `ifMatch` is atomic compare-and-swap. */
  conditionalUpdate: boolean;
  /** `delete` with `ifMatch` is enforced (Ceph RGW and many S3-compatibles silently ignore it). */
  conditionalDelete: boolean;
  /** A read after a successful write returns that write (or a later one). */
  readAfterWrite: boolean;
  /** The largest `limit` a single `list` call honours. */
  maxListLimit: number;
}
