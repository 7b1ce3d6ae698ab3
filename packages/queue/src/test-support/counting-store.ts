import type { DeleteOptions, GetOptions, ListOptions, ListPage, ObjectBody, ObjectStore, PutOptions, PutResult, StoredObject } from '@baton/storage';

/** Test helper: an ObjectStore wrapper that counts requests by operation. */
export class CountingStore implements ObjectStore {
  /** Requests so far, by operation. */
  readonly counts = { get: 0, put: 0, delete: 0, list: 0 };
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

  /** Counted list. */
  list(options: ListOptions): Promise<ListPage> {
    this.counts.list += 1;
    return this.#inner.list(options);
  }
}

/** Test helper: timers that can be frozen, dropping every pending and future callback (a crashed process). */
export class FreezableTimers {
  #frozen = false;
  readonly #handles = new Set<ReturnType<typeof setTimeout>>();

  /** Drops every pending callback and refuses to run new ones. */
  freeze(): void {
    this.#frozen = true;
    for (const handle of this.#handles) clearTimeout(handle);
    this.#handles.clear();
  }

  /** Schedules unless frozen. */
  setTimeout = (callback: () => void, delayMs: number): object => {
    const handle = setTimeout(() => {
      this.#handles.delete(handle);
      if (!this.#frozen) callback();
    }, delayMs);
    if (this.#frozen) clearTimeout(handle);
    else this.#handles.add(handle);
    return handle;
  };

  /** Cancels. */
  clearTimeout = (handle: object | number): void => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
    this.#handles.delete(handle as ReturnType<typeof setTimeout>);
  };
}

/** Resolves when `condition` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
