import { randomBytes } from 'node:crypto';
import { COORDINATOR_ROOT } from '@baton/coordinator-core';
import { assertValidKey, assertValidPrefix, probeStorage, type ListOptions, type ListPage, type ObjectStore, type ProbeReport } from '@baton/storage';
import { objectStoreConformanceCases } from '@baton/storage/testkit';
import { describeError, type DescribedError } from './evidence';
import { listAll } from './gather-evidence';

/** Options for {@link verifyStorage}. */
export interface VerifyStorageOptions {
  /** Only the probe (a dozen requests), not the conformance cases. Default false. */
  quick?: boolean;
  /** Writers in each conformance race. Default 8. */
  racers?: number;
  /** Rounds of each race. Default 3. */
  rounds?: number;
  /** Called as each conformance case finishes (for progress output). */
  onCase?: (result: ConformanceResult) => void;
  /** Aborts the verification (clean-up still runs on the next call). */
  signal?: AbortSignal;
}

/** One conformance case's outcome. */
export interface ConformanceResult {
  /** The case's name (stable). */
  name: string;
  /** Whether it passed. */
  outcome: 'pass' | 'fail';
  /** How long it took. */
  durationMs: number;
  /** The violation, when it failed. */
  error?: DescribedError;
}

/** What `baton verify-storage --json` prints. */
export interface StorageVerification {
  /** Always `baton.verify-storage/v1`. */
  format: 'baton.verify-storage/v1';
  /** The store's description. */
  store: string;
  /** True when leases can be trusted to this store: the probe is safe and every conformance case passed. */
  trusted: boolean;
  /** The conditional-write probe's report. */
  probe: ProbeReport;
  /** The conformance cases run (empty with `quick`). */
  conformance: ConformanceResult[];
  /** Where the scratch objects went (all deleted afterwards), and how many were left after clean-up. */
  scratchPrefix: string;
  /** Scratch objects still there after clean-up (-1: could not tell). */
  leftBehind: number;
}

/**
 * Tells whether a live store can be trusted with baton's leases: the conditional-write probe,
 * then the `ObjectStore` conformance kit (racing creates and compare-and-swaps, lost updates,
 * listing order, key rules). Everything is written under `plg_coordinator_global/.probe/`
 * (covered by `baton iam-policy`) and deleted afterwards.
 */
export async function verifyStorage(store: ObjectStore, options: VerifyStorageOptions = {}): Promise<StorageVerification> {
  const scratchPrefix = `${COORDINATOR_ROOT}/.probe/verify-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`;
  const probe = await probeStorage(store, { keyPrefix: scratchPrefix, signal: options.signal });
  const conformance: ConformanceResult[] = [];
  if (options.quick !== true) {
    const scoped = new ScopedStore(store, scratchPrefix);
    const cases = objectStoreConformanceCases({ store: () => scoped, racers: options.racers ?? 8, rounds: options.rounds ?? 3 });
    for (const testCase of cases) {
      options.signal?.throwIfAborted();
      const started = performance.now();
      let result: ConformanceResult;
      try {
        await testCase.run();
        result = { name: testCase.name, outcome: 'pass', durationMs: Math.round(performance.now() - started) };
      } catch (error) {
        options.signal?.throwIfAborted();
        result = { name: testCase.name, outcome: 'fail', durationMs: Math.round(performance.now() - started), error: describeError(error) };
      }
      conformance.push(result);
      options.onCase?.(result);
    }
  }
  const leftBehind = await removeAll(store, scratchPrefix);
  return {
    format: 'baton.verify-storage/v1',
    store: store.description,
    trusted: probe.safe && conformance.every((result) => result.outcome === 'pass'),
    probe,
    conformance,
    scratchPrefix,
    leftBehind,
  };
}

async function removeAll(store: ObjectStore, prefix: string): Promise<number> {
  try {
    const { entries } = await listAll(store, prefix, Number.POSITIVE_INFINITY);
    for (const entry of entries) await store.delete(entry.key).catch(() => undefined);
    return (await listAll(store, prefix, Number.POSITIVE_INFINITY)).entries.length;
  } catch {
    return -1;
  }
}

/**
 * The store seen through a scratch folder: the conformance cases write "at the root", which
 * lands under the folder, so a least-privilege policy allows them and clean-up finds everything.
 * Keys are validated before prefixing, so the key-rule cases judge the store's own rules.
 */
class ScopedStore implements ObjectStore {
  readonly capabilities: ObjectStore['capabilities'];
  readonly description: string;
  readonly #inner: ObjectStore;
  readonly #prefix: string;

  constructor(inner: ObjectStore, prefix: string) {
    this.#inner = inner;
    this.#prefix = prefix;
    this.capabilities = inner.capabilities;
    this.description = inner.description;
  }

  get: ObjectStore['get'] = async (key, options) => {
    const object = await this.#inner.get(this.#scoped(key, 'get'), options);
    return object === undefined ? undefined : { ...object, key };
  };

  // Async so that an invalid key rejects (as every store does) instead of throwing synchronously.
  put: ObjectStore['put'] = async (key, body, options) => this.#inner.put(this.#scoped(key, 'put'), body, options);

  delete: ObjectStore['delete'] = async (key, options) => this.#inner.delete(this.#scoped(key, 'delete'), options);

  async list(options: ListOptions): Promise<ListPage> {
    if (options.prefix !== '') assertValidPrefix(options.prefix);
    const page = await this.#inner.list({ ...options, prefix: this.#prefix + options.prefix });
    return { ...page, entries: page.entries.map((entry) => ({ ...entry, key: entry.key.slice(this.#prefix.length) })) };
  }

  #scoped(key: string, operation: 'get' | 'put' | 'delete'): string {
    assertValidKey(key, operation);
    return this.#prefix + key;
  }
}
