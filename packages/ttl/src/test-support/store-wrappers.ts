import { UnsupportedOperationError, type DeleteOptions, type GetOptions, type ListOptions, type ListPage, type ObjectBody, type ObjectStore, type PutOptions, type PutResult, type StoredObject } from '@baton/storage';

/** One request, as an interceptor sees it. */
export interface InterceptedRequest {
  operation: 'get' | 'put' | 'delete' | 'list';
  key: string;
  options: PutOptions | DeleteOptions | GetOptions | undefined;
}

/** A request held back by {@link PausingStore} until released. */
export interface HeldRequest {
  /** Resolves when a matching request arrived (and is being held). */
  reached: Promise<InterceptedRequest>;
  /** Lets the held request proceed. */
  release(): void;
}

/**
 * Test helper: an ObjectStore wrapper that can hold back the next request matching a predicate
 * (to provoke a race deterministically), and can hide conditional DELETE (to behave like Ceph RGW:
 * `capabilities.conditionalDelete` false, and `ifMatch` on delete refused as S3Store does).
 */
export class PausingStore implements ObjectStore {
  readonly capabilities: ObjectStore['capabilities'];
  readonly description: string;
  readonly #inner: ObjectStore;
  readonly #holds: { matches: (request: InterceptedRequest) => boolean; arrived: (request: InterceptedRequest) => void; released: Promise<void> }[] = [];

  constructor(inner: ObjectStore, options: { conditionalDelete?: boolean } = {}) {
    this.#inner = inner;
    this.capabilities = { ...inner.capabilities, conditionalDelete: options.conditionalDelete ?? inner.capabilities.conditionalDelete };
    this.description = `pausing(${inner.description})`;
  }

  /** Holds the next request for which `matches` is true until `release()` is called. */
  holdNext(matches: (request: InterceptedRequest) => boolean): HeldRequest {
    let arrived!: (request: InterceptedRequest) => void;
    let release!: () => void;
    const reached = new Promise<InterceptedRequest>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#holds.push({ matches, arrived, released });
    return { reached, release };
  }

  /** Held get. */
  async get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    await this.#gate({ operation: 'get', key, options });
    return this.#inner.get(key, options);
  }

  /** Held put. */
  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    await this.#gate({ operation: 'put', key, options });
    return this.#inner.put(key, body, options);
  }

  /** Held delete; refuses `ifMatch` when conditional delete is hidden. */
  async delete(key: string, options?: DeleteOptions): Promise<void> {
    if (options?.ifMatch !== undefined && !this.capabilities.conditionalDelete) {
      throw new UnsupportedOperationError('conditional delete is not supported by this store', { operation: 'delete', key });
    }
    await this.#gate({ operation: 'delete', key, options });
    return this.#inner.delete(key, options);
  }

  /** Held list. */
  async list(options: ListOptions): Promise<ListPage> {
    await this.#gate({ operation: 'list', key: options.prefix, options: undefined });
    return this.#inner.list(options);
  }

  async #gate(request: InterceptedRequest): Promise<void> {
    const index = this.#holds.findIndex((hold) => hold.matches(request));
    if (index < 0) return;
    const [hold] = this.#holds.splice(index, 1);
    if (hold === undefined) return;
    hold.arrived(request);
    await hold.released;
  }
}

/**
 * Test helper: a clock whose wall and monotonic times run in real time, plus an offset that tests
 * advance. `{ stopped: true }` keeps it at its start but for the offset: for a test that judges
 * expiry to the millisecond and needs no real timer, so a slow store cannot move it on.
 */
export class AdjustableClock {
  #offset = 0;
  readonly #startWall = Date.now();
  readonly #startMonotonic = performance.now();
  readonly #stopped: boolean;

  constructor(options: { stopped?: boolean } = {}) {
    this.#stopped = options.stopped ?? false;
  }

  /** Moves both clocks forward by `milliseconds`. */
  advance(milliseconds: number): void {
    this.#offset += milliseconds;
  }

  /** Wall ms. */
  wallNow = (): number => (this.#stopped ? this.#startWall : Date.now()) + this.#offset;

  /** Monotonic ms. */
  monotonicNow = (): number => (this.#stopped ? this.#startMonotonic : performance.now()) + this.#offset;
}
