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
  StoredObject,
} from '@baton/storage';
import { deleteEachKey, isStorageError } from '@baton/storage';
import type { Clock } from '@baton/plugin';

/** Storage operations that are counted. */
export type CountedOperation = 'get' | 'put' | 'delete' | 'list';

/** Storage request counts and latency, as `getMetrics().storage` reports them. */
export interface StorageMetrics {
  /** Requests by operation (every attempt the coordinator made, failed ones included). */
  requests: Record<CountedOperation, number>;
  /** Failed requests by operation (412 refusals included: they are normal in elections). */
  failures: Record<CountedOperation, number>;
  /** Latency percentiles over the most recent requests, in milliseconds. */
  latencyMs: { p50: number; p95: number; p99: number; max: number; samples: number };
}

/**
 * How a storage request ended: `ok`, `precondition_failed` (a refused conditional write: normal
 * in elections), or another storage error code in lower case (`outcome_unknown`, `unavailable`,
 * `access_denied`, ...), `error` for anything else.
 */
export type StorageRequestOutcome = string;

/** One finished storage request, as {@link StorageRequestObserver}s receive it. */
export interface StorageRequest {
  /** The operation. */
  operation: CountedOperation;
  /** How it ended (see {@link StorageRequestOutcome}). */
  outcome: StorageRequestOutcome;
  /** How long it took on the monotonic clock, in milliseconds. */
  durationMs: number;
}

/** Called after every storage request (e.g. to feed a latency histogram). Must not throw. */
export type StorageRequestObserver = (request: StorageRequest) => void;

// Latency is kept for this many recent requests: enough for stable percentiles, bounded memory.
const LATENCY_WINDOW = 1024;

/**
 * Wraps a store to count what the coordinator asks of it. One per coordinator, so each reports
 * its own traffic (the guide's "S3 requests taking > 5s" check reads these numbers).
 */
export class InstrumentedStore implements ObjectStore {
  readonly capabilities: ObjectStore['capabilities'];
  readonly description: string;

  readonly #inner: ObjectStore;
  readonly #clock: Clock;
  readonly #requests: Record<CountedOperation, number> = { get: 0, put: 0, delete: 0, list: 0 };
  readonly #failures: Record<CountedOperation, number> = { get: 0, put: 0, delete: 0, list: 0 };
  readonly #latencies = new Float64Array(LATENCY_WINDOW);
  #latencyCount = 0;
  readonly #observers = new Set<StorageRequestObserver>();

  constructor(inner: ObjectStore, clock: Clock) {
    this.#inner = inner;
    this.#clock = clock;
    this.capabilities = inner.capabilities;
    this.description = inner.description;
  }

  get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    return this.#measure('get', () => this.#inner.get(key, options));
  }

  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    return this.#measure('put', () => this.#inner.put(key, body, options));
  }

  delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.#measure('delete', () => this.#inner.delete(key, options));
  }

  list(options: ListOptions): Promise<ListPage> {
    return this.#measure('list', () => this.#inner.list(options));
  }

  /** One counted request where the wrapped store batches deletes; else one counted `delete` per key. */
  deleteMany(keys: readonly string[], options?: OperationOptions): Promise<void> {
    const inner = this.#inner;
    if (inner.deleteMany === undefined) return deleteEachKey(this, keys, options);
    return this.#measure('delete', async () => {
      await inner.deleteMany?.(keys, options);
    });
  }

  /**
   * Calls `observer` after every request from now on. Observers only watch: an observer that
   * throws is ignored, so it can never change what the coordinator sees.
   * @returns a function that removes the observer.
   */
  observe(observer: StorageRequestObserver): () => void {
    this.#observers.add(observer);
    return () => {
      this.#observers.delete(observer);
    };
  }

  /** A copy of the counters and current percentiles. */
  snapshot(): StorageMetrics {
    const count = Math.min(this.#latencyCount, LATENCY_WINDOW);
    const sorted = Array.from(this.#latencies.subarray(0, count)).sort((left, right) => left - right);
    const percentile = (fraction: number): number =>
      count === 0 ? 0 : round(sorted[Math.min(count - 1, Math.ceil(fraction * count) - 1)] as number);
    return {
      requests: { ...this.#requests },
      failures: { ...this.#failures },
      latencyMs: { p50: percentile(0.5), p95: percentile(0.95), p99: percentile(0.99), max: count === 0 ? 0 : round(sorted[count - 1] as number), samples: count },
    };
  }

  async #measure<Result>(operation: CountedOperation, call: () => Promise<Result>): Promise<Result> {
    this.#requests[operation] += 1;
    const started = this.#clock.monotonicNow();
    let outcome: StorageRequestOutcome = 'ok';
    try {
      return await call();
    } catch (error) {
      this.#failures[operation] += 1;
      outcome = isStorageError(error) ? error.code.toLowerCase() : 'error';
      throw error;
    } finally {
      const durationMs = this.#clock.monotonicNow() - started;
      this.#latencies[this.#latencyCount % LATENCY_WINDOW] = durationMs;
      this.#latencyCount += 1;
      this.#notify({ operation, outcome, durationMs });
    }
  }

  #notify(request: StorageRequest): void {
    for (const observer of this.#observers) {
      try {
        observer(request);
      } catch {
        // An observer is a spectator: its failure must not fail the request it watched.
      }
    }
  }
}

function round(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}
