import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { throwIfAborted } from '../abort';
import { toBytes } from '../body';
import { PreconditionFailedError, StorageError, StorageUnavailableError, StoreConfigurationError, type StorageOperation } from '../errors';
import { assertDeleteManyKeys, deleteEachKey } from '../delete-keys';
import { contentEtag } from '../etag';
import { assertValidKey, assertValidPrefix, compareKeys } from '../keys';
import { effectiveListLimit } from '../list-pages';
import type {
  DeleteOptions,
  GetOptions,
  ListEntry,
  ListOptions,
  ListPage,
  ObjectBody,
  ObjectStore,
  OperationOptions,
  PutOptions,
  PutResult,
  StoreCapabilities,
  StoredObject,
} from '../object-store';
import { assertOnePrecondition } from '../preconditions';
import { GenerationLock, LockTimeoutError } from './generation-lock';
import { decodeSegment, DIRECTORY_SUFFIX, keyToRelativePath, OBJECT_SUFFIX } from './key-paths';

/** Options for {@link FileSystemStore}. */
export interface FileSystemStoreOptions {
  /** The directory that holds the objects. Absolute. Created when missing. */
  directory: string;
  /**
   * Flush every write to disk (file and directory `fsync`) before reporting success, so that an
   * acknowledged write survives a power cut. Default true; turn off only for throwaway data.
   */
  durable?: boolean;
  /** How long a write waits for another process's write to the same lock slot. Default 30 s. */
  lockTimeoutMs?: number;
}

// Keys are spread over this many locks: enough that unrelated writes rarely wait for each other,
// few enough that lock directories never pile up.
const LOCK_SLOTS = 256;
const INTERNAL_DIRECTORY = '.baton-store';
// A rename into a directory that a concurrent delete just removed fails; this many retries is plenty.
const MAX_DIRECTORY_RACES = 16;

/**
 * A store in a local directory, shared safely by any number of processes on one host.
 *
 * - Objects are files; a write goes to a temporary file that is flushed and then renamed over
 *   the object, so readers see the old or the new object, never a torn one.
 * - Writes take a lock (one of 256, by key hash) made of immutable generation files, which
 *   needs no clean-up after a crash: a holder that died is detected (pid, start time, boot id)
 *   and the lock simply moves to the next generation.
 * - Keys map to paths that cannot leave the directory (see `key-paths.ts`).
 *
 * Not for network file systems: the locks rely on one host's process table.
 */
export class FileSystemStore implements ObjectStore {
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
  /** The directory that holds the objects. */
  readonly directory: string;

  readonly #durable: boolean;
  readonly #lockTimeoutMs: number;
  readonly #temporaryDirectory: string;
  readonly #locks = new Map<number, GenerationLock>();

  constructor(options: FileSystemStoreOptions) {
    if (typeof options.directory !== 'string' || !isAbsolute(options.directory)) {
      throw new StoreConfigurationError(`FileSystemStore needs an absolute directory, got ${JSON.stringify(options.directory)}`);
    }
    this.directory = options.directory;
    this.description = `file://${options.directory}`;
    this.#durable = options.durable ?? true;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
    this.#temporaryDirectory = join(options.directory, INTERNAL_DIRECTORY, 'tmp');
    try {
      mkdirSync(this.#temporaryDirectory, { recursive: true });
    } catch (error) {
      throw new StoreConfigurationError(
        `Cannot use ${options.directory} as a store directory: ${(error as Error).message}; create it or choose a writable path`,
        error,
      );
    }
  }

  /** See {@link ObjectStore.get}. */
  async get(key: string, options: GetOptions = {}): Promise<StoredObject | undefined> {
    assertValidKey(key, 'get');
    throwIfAborted(options.signal);
    const path = this.#pathOf(key, 'get');
    try {
      const body = new Uint8Array(await readFile(path, { signal: options.signal }));
      const { mtime } = await stat(path).catch(() => ({ mtime: new Date() }));
      return { key, body, etag: contentEtag(body), lastModified: mtime };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.#wrap(error, 'get', key);
    }
  }

  /** See {@link ObjectStore.put}. */
  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    assertValidKey(key, 'put');
    assertOnePrecondition(options, key);
    const bytes = toBytes(body);
    const path = this.#pathOf(key, 'put');
    throwIfAborted(options.signal);
    const etag = contentEtag(bytes);
    // Written and flushed before taking the lock, so the lock is held only for check-and-rename.
    const temporary = await this.#writeTemporary(bytes, key);
    try {
      await this.withKeyLock(key, async () => {
        if (options.ifNoneMatch === '*' || options.ifMatch !== undefined) {
          const currentEtag = await this.#currentEtag(path);
          const holds = options.ifNoneMatch === '*' ? currentEtag === undefined : currentEtag === options.ifMatch;
          if (!holds) throw new PreconditionFailedError({ operation: 'put', key, store: this.description });
        }
        await this.#renameIntoPlace(temporary, path);
      }, options.signal);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw this.#wrap(error, 'put', key);
    }
    return { etag };
  }

  /** See {@link ObjectStore.delete}. */
  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    assertValidKey(key, 'delete');
    const path = this.#pathOf(key, 'delete');
    throwIfAborted(options.signal);
    try {
      await this.withKeyLock(key, async () => {
        if (options.ifMatch !== undefined && (await this.#currentEtag(path)) !== options.ifMatch) {
          throw new PreconditionFailedError({ operation: 'delete', key, store: this.description });
        }
        try {
          await unlink(path);
        } catch (error) {
          if (!isMissing(error)) throw error;
          return;
        }
        await this.#removeEmptyParents(dirname(path));
      }, options.signal);
    } catch (error) {
      throw this.#wrap(error, 'delete', key);
    }
  }

  /** See {@link ObjectStore.deleteMany}: one `delete` per key, each under its key's lock. */
  async deleteMany(keys: readonly string[], options: OperationOptions = {}): Promise<void> {
    assertDeleteManyKeys(keys);
    await deleteEachKey(this, keys, options);
  }

  /** See {@link ObjectStore.list}. */
  async list(options: ListOptions): Promise<ListPage> {
    assertValidPrefix(options.prefix);
    const limit = effectiveListLimit(options.limit, this.capabilities.maxListLimit);
    throwIfAborted(options.signal);
    // Walk from the deepest directory the prefix fully names; everything else cannot match.
    const lastSlash = options.prefix.lastIndexOf('/');
    const directoryKey = lastSlash === -1 ? '' : options.prefix.slice(0, lastSlash + 1);
    const startDirectory =
      directoryKey === '' ? this.directory : join(this.directory, ...keyToRelativePath(directoryKey.slice(0, -1), 'list', true));
    const entries: ListEntry[] = [];
    try {
      await this.#walk(startDirectory, directoryKey, options, limit + 1, entries);
    } catch (error) {
      throw this.#wrap(error, 'list', options.prefix);
    }
    if (entries.length > limit) {
      const page = entries.slice(0, limit);
      return { entries: page, nextCursor: (page.at(-1) as ListEntry).key };
    }
    return { entries };
  }

  /**
   * Runs `critical` while holding the write lock that covers `key`: every write to that key, from
   * any process on this host, waits until it settles. `put` and `delete` use it; it is public for
   * tools and tests that need to hold a key still.
   */
  withKeyLock<Result>(key: string, critical: () => Promise<Result>, signal?: AbortSignal): Promise<Result> {
    assertValidKey(key, 'put');
    return this.#lockFor(key).withLock(critical, signal);
  }

  /** Depth-first, in key order, stopping once `wanted` entries are found. */
  async #walk(directory: string, keyPrefix: string, options: ListOptions, wanted: number, found: ListEntry[]): Promise<void> {
    throwIfAborted(options.signal);
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    const children: { sortKey: string; key: string; isDirectory: boolean; name: string }[] = [];
    for (const name of names) {
      if (name.endsWith(OBJECT_SUFFIX)) {
        const key = keyPrefix + decodeSegment(name.slice(0, -OBJECT_SUFFIX.length));
        children.push({ sortKey: key, key, isDirectory: false, name });
      } else if (name.endsWith(DIRECTORY_SUFFIX)) {
        const key = `${keyPrefix}${decodeSegment(name.slice(0, -DIRECTORY_SUFFIX.length))}/`;
        children.push({ sortKey: key, key, isDirectory: true, name });
      }
    }
    // All keys under a directory share its "segment/" prefix, so sorting directories by that
    // prefix among the files puts every subtree exactly where its keys belong.
    children.sort((left, right) => compareKeys(left.sortKey, right.sortKey));
    const { prefix, cursor } = options;
    for (const child of children) {
      if (found.length >= wanted) return;
      if (child.isDirectory) {
        const overlapsPrefix = child.key.startsWith(prefix) || prefix.startsWith(child.key);
        const entirelyBeforeCursor = cursor !== undefined && compareKeys(child.key, cursor) < 0 && !cursor.startsWith(child.key);
        if (overlapsPrefix && !entirelyBeforeCursor) await this.#walk(join(directory, child.name), child.key, options, wanted, found);
      } else if (child.key.startsWith(prefix) && (cursor === undefined || compareKeys(child.key, cursor) > 0)) {
        const entry = await this.#listEntry(join(directory, child.name), child.key);
        if (entry !== undefined) found.push(entry);
      }
    }
  }

  #pathOf(key: string, operation: StorageOperation): string {
    return join(this.directory, ...keyToRelativePath(key, operation));
  }

  #lockFor(key: string): GenerationLock {
    const slot = createHash('md5').update(key).digest().readUInt8(0) % LOCK_SLOTS;
    let lock = this.#locks.get(slot);
    if (lock === undefined) {
      lock = new GenerationLock({
        directory: join(this.directory, INTERNAL_DIRECTORY, 'locks', slot.toString(16).padStart(2, '0')),
        temporaryDirectory: this.#temporaryDirectory,
        timeoutMs: this.#lockTimeoutMs,
      });
      this.#locks.set(slot, lock);
    }
    return lock;
  }

  /**
   * A listing entry with its ETag, as S3 listings have: reading a local file is cheap, and it
   * spares callers a `get` per key to learn versions (`undefined`: deleted while we listed).
   */
  async #listEntry(path: string, key: string): Promise<ListEntry | undefined> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      const [details, bytes] = [await handle.stat(), await handle.readFile()];
      return { key, size: bytes.length, etag: contentEtag(bytes), lastModified: details.mtime };
    } finally {
      await handle.close();
    }
  }

  async #currentEtag(path: string): Promise<string | undefined> {
    try {
      return contentEtag(await readFile(path));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async #writeTemporary(bytes: Uint8Array, key: string): Promise<string> {
    const temporary = join(this.#temporaryDirectory, `${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      const handle = await open(temporary, 'wx');
      try {
        await handle.writeFile(bytes);
        if (this.#durable) await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw this.#wrap(error, 'put', key);
    }
    return temporary;
  }

  /** Renames `temporary` to `path`, creating parents and retrying when a delete removes them meanwhile. */
  async #renameIntoPlace(temporary: string, path: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      await mkdir(dirname(path), { recursive: true });
      try {
        await rename(temporary, path);
        break;
      } catch (error) {
        if (!isMissing(error) || attempt >= MAX_DIRECTORY_RACES) throw error;
      }
    }
    if (this.#durable) await syncDirectory(dirname(path));
  }

  /** Removes directories left empty by a delete, up to the store directory. Races are harmless. */
  async #removeEmptyParents(directory: string): Promise<void> {
    let current = directory;
    while (current !== this.directory && current.startsWith(this.directory)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): its parents are not empty either
      }
      current = dirname(current);
    }
  }

  #wrap(error: unknown, operation: StorageOperation, key: string): unknown {
    if (error instanceof StorageError || (error as Error | undefined)?.name === 'AbortError') return error;
    if (error instanceof LockTimeoutError) {
      return new StorageUnavailableError(error.message, { operation, key, store: this.description, cause: error });
    }
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return new StoreConfigurationError(
        `No permission to ${operation} in ${this.directory} (${code}): give this process write access to the directory`,
        error,
      );
    }
    if (code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE' || code === 'EIO' || code === 'EBUSY') {
      return new StorageUnavailableError(`The file system refused the ${operation} (${code})`, { operation, key, store: this.description, cause: error });
    }
    return error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
