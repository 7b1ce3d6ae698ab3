import { MemoryStore, type DeleteOptions, type GetOptions, type ListOptions, type ListPage, type ObjectBody, type ObjectStore, type PutOptions, type PutResult, type StoredObject } from '@baton/storage';

/** What a {@link ScriptedStore} does differently from a plain memory store. */
export interface StoreScript {
  /** Runs before every request: throw to fail it, await to slow it down. */
  before?: (operation: 'get' | 'put' | 'delete' | 'list', key: string) => void | Promise<void>;
  /** Accept conditional writes and ignore their conditions, as some S3 look-alikes do. */
  ignoreConditions?: boolean;
  /** Report modification times this far off (a store whose clock is skewed). */
  lastModifiedShiftMs?: number;
  /** Reads return the previous version of an object this long after it was overwritten (a stale cache). */
  staleReadsMs?: number;
}

/** A memory store whose faults a test scripts (and can change while it runs). */
export class ScriptedStore implements ObjectStore {
  readonly inner: MemoryStore;
  readonly capabilities: ObjectStore['capabilities'];
  readonly description = 'scripted://test';
  script: StoreScript;
  readonly #previous = new Map<string, { object: StoredObject | undefined; until: number }>();

  constructor(script: StoreScript = {}, inner = new MemoryStore()) {
    this.inner = inner;
    this.capabilities = inner.capabilities;
    this.script = script;
  }

  async get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    await this.script.before?.('get', key);
    const stale = this.#previous.get(key);
    const object = stale !== undefined && performance.now() < stale.until ? stale.object : await this.inner.get(key, options);
    const shift = this.script.lastModifiedShiftMs;
    return object === undefined || shift === undefined || object.lastModified === undefined ? object : { ...object, lastModified: new Date(object.lastModified.getTime() + shift) };
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    await this.script.before?.('put', key);
    if (this.script.staleReadsMs !== undefined) this.#previous.set(key, { object: await this.inner.get(key), until: performance.now() + this.script.staleReadsMs });
    const { ifMatch, ifNoneMatch, ...rest } = options;
    return this.inner.put(key, body, this.script.ignoreConditions === true ? rest : { ...rest, ...(ifMatch === undefined ? {} : { ifMatch }), ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }) });
  }

  async delete(key: string, options?: DeleteOptions): Promise<void> {
    await this.script.before?.('delete', key);
    if (this.script.staleReadsMs !== undefined) this.#previous.set(key, { object: await this.inner.get(key), until: performance.now() + this.script.staleReadsMs });
    return this.inner.delete(key, options);
  }

  async list(options: ListOptions): Promise<ListPage> {
    await this.script.before?.('list', options.prefix);
    return this.inner.list(options);
  }
}
