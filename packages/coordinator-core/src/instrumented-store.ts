import type {
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListPage,
  ObjectBody,
  ObjectStore,
  PutOptions,
  PutResult,
  StoredObject,
} from '@baton/storage';
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
    try {
      return await call();
    } catch (error) {
      this.#failures[operation] += 1;
      throw error;
    } finally {
      this.#latencies[this.#latencyCount % LATENCY_WINDOW] = this.#clock.monotonicNow() - started;
      this.#latencyCount += 1;
    }
  }
}

function round(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}
