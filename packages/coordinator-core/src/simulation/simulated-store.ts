import {
  assertOnePrecondition,
  assertValidKey,
  assertValidPrefix,
  compareKeys,
  contentEtag,
  effectiveListLimit,
  pageOfSortedKeys,
  OutcomeUnknownError,
  PreconditionFailedError,
  StorageUnavailableError,
  toBytes,
  UnsupportedOperationError,
  type DeleteOptions,
  type GetOptions,
  type ListOptions,
  type ListPage,
  type ObjectBody,
  type ObjectStore,
  type PutOptions,
  type PutResult,
  type StorageOperation,
  type StoreCapabilities,
  type StoredObject,
} from '@baton/storage';
import type { TimerHandle } from '@baton/plugin';
import type { RandomSource, SeededRandom } from './seeded-random';
import { SIMULATION_EPOCH_MS, type SimulatedProcess } from './simulated-process';
import type { SimulatedScheduler } from './simulated-scheduler';
import { validateStoreFaults, type DurationRange, type StoreFaults } from './store-faults';

/** Options for {@link SimulatedStore}. */
export interface SimulatedStoreOptions {
  /** The store describes itself as `simulated://NAME`. Default `store`. */
  name?: string;
  /**
   * Capabilities to claim. With `conditionalDelete: false` here (and the `conditionalDelete`
   * option left true), a delete with `ifMatch` rejects with `UnsupportedOperationError` before
   * it is sent, as the contract requires and `S3Store` does. Default: everything enforced, pages of 1000.
   */
  capabilities?: Partial<StoreCapabilities>;
  /**
   * Whether the server enforces `ifMatch` on DELETE. Default true. False is Ceph RGW 16 and many
   * S3-compatibles: `capabilities.conditionalDelete` is false, and a delete sent with `ifMatch`
   * anyway is not refused but applied unconditionally (recorded with condition `none` and counted
   * in `statistics.ignoredDeleteConditions`), so code that forgets to check the capability loses
   * data silently, as it would there. Contradicts `capabilities: { conditionalDelete: true }`.
   */
  conditionalDelete?: boolean;
  /**
   * How ETags are made. `content` (default): the MD5 of the bytes, as `MemoryStore` and
   * single-part S3 puts, so rewriting identical bytes keeps the ETag. `opaque`: a fresh ETag
   * for every write, identical bytes or not, as multipart uploads, encrypting and versioned
   * stores give; derived from a per-store counter, so replays stay exact. Code under test may
   * compare ETags, never compute them.
   */
  etags?: 'content' | 'opaque';
  /** Keep {@link SimulatedStore.history}. Default true; turn off for long soak runs. */
  recordHistory?: boolean;
}

/** One write the store applied, in {@link SimulatedStore.history}. */
export interface AppliedWrite {
  /** Its position in the history, from 0. */
  readonly sequence: number;
  /** The simulated real time at which it was applied (atomically, at that single instant). */
  readonly time: number;
  /** The key written. */
  readonly key: string;
  /** A put, or a delete that removed an object (deletes of missing keys change nothing and are not recorded). */
  readonly kind: 'put' | 'delete';
  /** The stored bytes for a put (shared with the store: do not modify), undefined for a delete. */
  readonly body: Uint8Array | undefined;
  /** The new ETag for a put, undefined for a delete. */
  readonly etag: string | undefined;
  /** The ETag of the object it replaced or deleted; undefined when the key was empty. */
  readonly previousEtag: string | undefined;
  /** The precondition it was applied under. */
  readonly condition: 'none' | 'ifNoneMatch' | 'ifMatch';
  /** The process whose request it was; undefined for {@link SimulatedStore.writeDirectly}. */
  readonly process: SimulatedProcess | undefined;
}

/** Counts of what happened to requests, for reports and for tests that need a fault to have fired. */
export interface SimulatedStoreStatistics {
  /** Requests sent by clients (validation failures and already-aborted calls excluded). */
  requests: number;
  /** Requests the server applied (successfully or with a 412), including those then answered 5xx. */
  applied: number;
  /** Writes recorded in the history (puts, and deletes that removed something). */
  writes: number;
  /** Connections refused. */
  refused: number;
  /** Requests lost before reaching the server (partitions included). */
  requestsLost: number;
  /** 5xx answers without applying. */
  serverErrors: number;
  /** Precondition failures reported as 409 instead of 412. */
  conflicts: number;
  /** Conditional writes that would have won, refused with 409 instead (not applied). */
  winnerConflicts: number;
  /** Writes applied, then answered 5xx. */
  appliedThenErrors: number;
  /** Deletes sent with `ifMatch` to a store that ignores it, applied unconditionally. */
  ignoredDeleteConditions: number;
  /** Responses lost after applying (partitions included). */
  repliesLost: number;
  /** Request or response legs delayed by a latency spike. */
  spikes: number;
  /** Calls that ended in the client's timeout. */
  timeouts: number;
}

interface ServerObject {
  readonly body: Uint8Array;
  readonly etag: string;
  readonly lastModifiedAt: number;
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

/** What a client call asks of the server. */
interface Call<T> {
  readonly process: SimulatedProcess;
  readonly operation: StorageOperation;
  readonly key: string | undefined;
  /** A conditional write: failures that leave its outcome open are `OutcomeUnknownError`. */
  readonly conditional: boolean;
  /** A put or a delete: only writes can be applied and then answered 5xx. */
  readonly write: boolean;
  /**
   * For a write whose precondition the server enforces: whether it holds right now, i.e. the
   * write would win. Lets a 409 refuse would-be winners without applying them.
   */
  readonly preconditionHolds: (() => boolean) | undefined;
  readonly signal: AbortSignal | undefined;
  /** Runs at the server, at the instant of application; may throw `PreconditionFailedError`. */
  readonly apply: () => T;
}

/** The server operations a client reaches, each applied atomically at the current instant. */
interface StoreServer {
  description: string;
  capabilities: StoreCapabilities;
  /** False: `ifMatch` on DELETE is ignored (see {@link SimulatedStoreOptions.conditionalDelete}). */
  enforcesConditionalDelete: boolean;
  call<T>(call: Call<T>): Promise<T>;
  get(key: string): StoredObject | undefined;
  put(key: string, bytes: Uint8Array, options: PutOptions, process: SimulatedProcess): PutResult;
  putPreconditionHolds(key: string, options: PutOptions): boolean;
  delete(key: string, options: DeleteOptions, process: SimulatedProcess): void;
  deletePreconditionHolds(key: string, options: DeleteOptions): boolean;
  list(prefix: string, cursor: string | undefined, limit: number): ListPage;
}

// Beyond this, Node (and SimulatedProcess) would fire a timer after 1 ms: treat as "no timeout".
const MAXIMUM_TIMER_DELAY_MS = 2_147_483_647;

const DEFAULT_CAPABILITIES: StoreCapabilities = {
  conditionalCreate: true,
  conditionalUpdate: true,
  conditionalDelete: true,
  readAfterWrite: true,
  maxListLimit: 1000,
};

/**
 * The object store of a simulation, shared by every {@link SimulatedProcess}. The server side is
 * an in-memory map whose conditional writes are checked and applied at one simulated instant, so
 * they are atomic exactly as the `ObjectStore` contract demands. Each process talks to it through
 * its own client, {@link SimulatedStore.storeFor}, whose calls take simulated network time and
 * suffer the seeded {@link StoreFaults}:
 *
 * 1. the request travels (one latency; it may be refused, lost, or spiked);
 * 2. the server applies it atomically at that instant, or answers 5xx without applying, or
 *    refuses a conditional write that would have won with 409, or applies a write and answers
 *    5xx all the same;
 * 3. the response travels back (one latency; it may be lost, or spiked) and is delivered through
 *    the process: held while it is paused, dropped if it crashed;
 * 4. a client timeout, on the process's own clock, ends calls whose response does not come.
 *
 * Every applied write is appended to {@link SimulatedStore.history} for invariant checkers.
 */
export class SimulatedStore {
  /** See {@link ObjectStore.description}: `simulated://NAME`. */
  readonly description: string;
  /** See {@link ObjectStore.capabilities}. */
  readonly capabilities: StoreCapabilities;

  readonly #scheduler: SimulatedScheduler;
  readonly #random: RandomSource;
  readonly #recordHistory: boolean;
  readonly #opaqueEtags: boolean;
  // Opaque ETags issued so far: the next one is derived from it, so replays give the same ETags.
  #opaqueEtagsIssued = 0;
  #faults: StoreFaults;
  readonly #objects = new Map<string, ServerObject>();
  // Sorted lazily: listing is rare next to reads and writes.
  #sortedKeys: string[] | undefined;
  readonly #history: AppliedWrite[] = [];
  readonly #partitionedUntil = new Map<SimulatedProcess, number>();
  readonly #clients = new WeakMap<SimulatedProcess, SimulatedStoreClient>();
  // What clients may do, without making it public API of the store.
  readonly #server: StoreServer = {
    description: '',
    capabilities: DEFAULT_CAPABILITIES,
    enforcesConditionalDelete: true,
    call: (call) => this.#call(call),
    get: (key) => this.#applyGet(key),
    put: (key, bytes, options, process) => this.#applyPut(key, bytes, options, process),
    putPreconditionHolds: (key, options) => this.#putPreconditionHolds(key, options),
    delete: (key, options, process) => {
      this.#applyDelete(key, options, process);
    },
    deletePreconditionHolds: (key, options) => this.#deletePreconditionHolds(key, options),
    list: (prefix, cursor, limit) => this.#applyList(prefix, cursor, limit),
  };
  readonly #statistics: SimulatedStoreStatistics = {
    requests: 0,
    applied: 0,
    writes: 0,
    refused: 0,
    requestsLost: 0,
    serverErrors: 0,
    conflicts: 0,
    winnerConflicts: 0,
    appliedThenErrors: 0,
    ignoredDeleteConditions: 0,
    repliesLost: 0,
    spikes: 0,
    timeouts: 0,
  };

  /**
   * @param scheduler the simulation's scheduler: all latencies are events on it.
   * @param faults what goes wrong; `HEALTHY_STORE_FAULTS` for nothing. Changeable with `setFaults`.
   * @param random the stream fault decisions and latencies are drawn from: give the store a
   *   stream of its own (e.g. `seeded.fork('store')`) so other components' draws do not shift it.
   * @param options name, capabilities, DELETE semantics, ETag style, history.
   * @throws {TypeError} when `conditionalDelete: false` is combined with claiming `capabilities.conditionalDelete`.
   */
  constructor(
    scheduler: SimulatedScheduler,
    faults: StoreFaults,
    random: RandomSource | SeededRandom,
    options: SimulatedStoreOptions = {},
  ) {
    validateStoreFaults(faults);
    this.#scheduler = scheduler;
    this.#faults = faults;
    this.#random = typeof random === 'function' ? random : random.next;
    this.#recordHistory = options.recordHistory ?? true;
    this.#opaqueEtags = (options.etags ?? 'content') === 'opaque';
    const enforcesConditionalDelete = options.conditionalDelete ?? true;
    if (!enforcesConditionalDelete && options.capabilities?.conditionalDelete === true) {
      throw new TypeError(
        'SimulatedStore: conditionalDelete: false (If-Match on DELETE ignored) contradicts capabilities.conditionalDelete: true; drop one of them',
      );
    }
    this.description = `simulated://${options.name ?? 'store'}`;
    this.capabilities = Object.freeze({
      ...DEFAULT_CAPABILITIES,
      ...options.capabilities,
      ...(enforcesConditionalDelete ? {} : { conditionalDelete: false }),
    });
    this.#server.description = this.description;
    this.#server.capabilities = this.capabilities;
    this.#server.enforcesConditionalDelete = enforcesConditionalDelete;
  }

  /** The fault model in force. */
  get faults(): StoreFaults {
    return this.#faults;
  }

  /** Replaces the fault model for calls made from now on (e.g. heal the store to test recovery). */
  setFaults(faults: StoreFaults): void {
    validateStoreFaults(faults);
    this.#faults = faults;
  }

  /** Every write applied so far, in order. Append-only. */
  get history(): readonly AppliedWrite[] {
    return this.#history;
  }

  /** A snapshot of the request counters. */
  get statistics(): Readonly<SimulatedStoreStatistics> {
    return { ...this.#statistics };
  }

  /** The number of objects stored. */
  get size(): number {
    return this.#objects.size;
  }

  /**
   * The `ObjectStore` that `process` uses: every call takes simulated time and may fail as the
   * fault model says. The same client is returned for the same process.
   */
  storeFor(process: SimulatedProcess): ObjectStore {
    if (process.scheduler !== this.#scheduler) throw new Error('storeFor(): the process lives on another scheduler');
    let client = this.#clients.get(process);
    if (client === undefined) {
      client = new SimulatedStoreClient(this.#server, process);
      this.#clients.set(process, client);
    }
    return client;
  }

  /**
   * Cuts `process` off from the store for `durationMs` of real time: requests it sends meanwhile
   * are lost, and so are responses that would reach it meanwhile (their writes still applied).
   */
  partition(process: SimulatedProcess, durationMs: number): void {
    if (!(durationMs >= 0)) throw new RangeError(`partition(${durationMs}): the duration must be at least 0`);
    const until = this.#scheduler.now + durationMs;
    this.#partitionedUntil.set(process, Math.max(until, this.#partitionedUntil.get(process) ?? until));
  }

  /** Whether `process` is cut off from the store right now. */
  isPartitioned(process: SimulatedProcess): boolean {
    const until = this.#partitionedUntil.get(process);
    return until !== undefined && this.#scheduler.now < until;
  }

  /** The object at `key` right now, as the server holds it, without latency or faults. For checkers. */
  inspect(key: string): StoredObject | undefined {
    const object = this.#objects.get(key);
    return object === undefined ? undefined : this.#toStoredObject(key, object);
  }

  /** Every key starting with `prefix`, in UTF-8 byte order, right now. For checkers. */
  keys(prefix = ''): string[] {
    return this.#sorted().filter((key) => key.startsWith(prefix));
  }

  /** Writes at once, unconditionally, without latency or faults: to set up a scenario's state. */
  writeDirectly(key: string, body: ObjectBody): PutResult {
    assertValidKey(key, 'put');
    return this.#applyPut(key, toBytes(body), {}, undefined);
  }

  /**
   * Sends one call of a client through the network and the server.
   *
   * The random draws happen here, synchronously and always the same thirteen, in the order the
   * calls are made: that order is deterministic, so each seed replays the same faults.
   */
  #call<T>(call: Call<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const { process, signal } = call;
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const scheduler = this.#scheduler;
      const faults = this.#faults;
      const random = this.#random;
      const statistics = this.#statistics;
      statistics.requests += 1;
      const refused = random() < faults.refusedProbability;
      const requestLost = random() < faults.requestLossProbability;
      const serverError = random() < faults.serverErrorProbability;
      const conflict = random() < faults.conflictProbability;
      const replyLost = random() < faults.replyLossProbability;
      const requestLatency = this.#latency(faults);
      const responseLatency = this.#latency(faults);
      // Drawn last, so a call's first eleven draws mean what they meant before these faults existed.
      const appliedThenError = random() < faults.appliedThenErrorChance;
      const winnerConflict = random() < faults.winnerConflictChance;

      let settled = false;
      let timeout: TimerHandle | undefined;
      const onAbort = (): void => {
        finish({ ok: false, error: signal?.reason as Error });
      };
      function finish(outcome: Outcome<T>): void {
        if (settled) return;
        settled = true;
        if (timeout !== undefined) process.timers.clearTimeout(timeout);
        signal?.removeEventListener('abort', onAbort);
        if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      }
      signal?.addEventListener('abort', onAbort, { once: true });

      if (refused) {
        statistics.refused += 1;
        scheduler.schedule(scheduler.now + requestLatency, () => {
          process.dispatch(() => {
            finish({ ok: false, error: this.#unavailable(call, 'simulated connection refused: the request was not sent') });
          });
        });
        return;
      }

      if (faults.timeoutMs <= MAXIMUM_TIMER_DELAY_MS) {
        timeout = process.timers.setTimeout(() => {
          statistics.timeouts += 1;
          timeout = undefined;
          finish({ ok: false, error: this.#unknownOrUnavailable(call, `simulated timeout after ${faults.timeoutMs} ms`) });
        }, faults.timeoutMs);
      }

      if (requestLost || this.isPartitioned(process)) {
        statistics.requestsLost += 1;
        return;
      }

      scheduler.schedule(scheduler.now + requestLatency, () => {
        let outcome: Outcome<T>;
        if (serverError) {
          statistics.serverErrors += 1;
          outcome = { ok: false, error: this.#unknownOrUnavailable(call, 'simulated 500 Internal Server Error, not applied') };
        } else if (winnerConflict && call.preconditionHolds?.() === true) {
          statistics.winnerConflicts += 1;
          outcome = { ok: false, error: this.#outcomeUnknown(call, 'simulated 409 Conflict for a write that would have won, not applied') };
        } else {
          statistics.applied += 1;
          try {
            const value = call.apply();
            if (appliedThenError && call.write) {
              statistics.appliedThenErrors += 1;
              outcome = { ok: false, error: this.#unknownOrUnavailable(call, 'simulated 500 Internal Server Error after the write was applied') };
            } else {
              outcome = { ok: true, value };
            }
          } catch (error) {
            if (conflict && error instanceof PreconditionFailedError) {
              statistics.conflicts += 1;
              outcome = { ok: false, error: this.#outcomeUnknown(call, 'simulated 409 Conflict for a lost race') };
            } else {
              // PreconditionFailedError; anything else is a simulator bug, passed on to the caller.
              outcome = { ok: false, error: error as Error };
            }
          }
        }
        if (replyLost) {
          statistics.repliesLost += 1;
          return;
        }
        scheduler.schedule(scheduler.now + responseLatency, () => {
          if (this.isPartitioned(process)) {
            statistics.repliesLost += 1;
            return;
          }
          process.dispatch(() => {
            finish(outcome);
          });
        });
      });
    });
  }

  /** Server side of `get`. */
  #applyGet(key: string): StoredObject | undefined {
    const object = this.#objects.get(key);
    return object === undefined ? undefined : this.#toStoredObject(key, object);
  }

  /** Whether a delete under `options` would be applied now; always, where `ifMatch` is ignored. */
  #deletePreconditionHolds(key: string, options: DeleteOptions): boolean {
    if (options.ifMatch === undefined || !this.#server.enforcesConditionalDelete) return true;
    return this.#objects.get(key)?.etag === options.ifMatch;
  }

  /** Server side of `delete`, atomic: the check and the removal happen at one instant. */
  #applyDelete(key: string, options: DeleteOptions, process: SimulatedProcess): void {
    if (!this.#deletePreconditionHolds(key, options)) {
      throw new PreconditionFailedError({ operation: 'delete', key, store: this.description });
    }
    const enforced = options.ifMatch !== undefined && this.#server.enforcesConditionalDelete;
    if (options.ifMatch !== undefined && !enforced) this.#statistics.ignoredDeleteConditions += 1;
    const current = this.#objects.get(key);
    if (current === undefined) return;
    this.#objects.delete(key);
    this.#sortedKeys = undefined;
    this.#record({
      key,
      kind: 'delete',
      body: undefined,
      etag: undefined,
      previousEtag: current.etag,
      condition: enforced ? 'ifMatch' : 'none',
      process,
    });
  }

  /** Server side of `list`: one page in UTF-8 byte order, paged exactly as the bundled stores page. */
  #applyList(prefix: string, cursor: string | undefined, limit: number): ListPage {
    const page = pageOfSortedKeys(this.#sorted(), { prefix, limit, ...(cursor === undefined ? {} : { cursor }) }, limit);
    return {
      entries: page.keys.map((key) => {
        const object = this.#objects.get(key) as ServerObject;
        return { key, size: object.body.byteLength, etag: object.etag, lastModified: lastModified(object) };
      }),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    };
  }

  /** Whether a put under `options` would be applied now. */
  #putPreconditionHolds(key: string, options: PutOptions): boolean {
    const current = this.#objects.get(key);
    if (options.ifNoneMatch === '*' && current !== undefined) return false;
    return options.ifMatch === undefined || current?.etag === options.ifMatch;
  }

  /** Server side of `put`, atomic: the check and the write happen at one instant. */
  #applyPut(key: string, bytes: Uint8Array, options: PutOptions, process: SimulatedProcess | undefined): PutResult {
    if (!this.#putPreconditionHolds(key, options)) {
      throw new PreconditionFailedError({ operation: 'put', key, store: this.description });
    }
    const current = this.#objects.get(key);
    const etag = this.#newEtag(bytes);
    if (current === undefined) this.#sortedKeys = undefined;
    this.#objects.set(key, { body: bytes, etag, lastModifiedAt: this.#scheduler.now });
    this.#record({
      key,
      kind: 'put',
      body: bytes,
      etag,
      previousEtag: current?.etag,
      condition: options.ifNoneMatch === '*' ? 'ifNoneMatch' : options.ifMatch !== undefined ? 'ifMatch' : 'none',
      process,
    });
    return { etag };
  }

  /**
   * The ETag of a new version holding `bytes`. An opaque one is the MD5 of a counter with a
   * multipart-style `-1` suffix: never equal to any content MD5, nor to an earlier opaque ETag.
   */
  #newEtag(bytes: Uint8Array): string {
    if (!this.#opaqueEtags) return contentEtag(bytes);
    this.#opaqueEtagsIssued += 1;
    return `${contentEtag(toBytes(`${this.description} version ${this.#opaqueEtagsIssued}`))}-1`;
  }

  #record(write: Omit<AppliedWrite, 'sequence' | 'time'>): void {
    this.#statistics.writes += 1;
    if (!this.#recordHistory) return;
    this.#history.push({ sequence: this.#history.length, time: this.#scheduler.now, ...write });
  }

  #sorted(): string[] {
    this.#sortedKeys ??= [...this.#objects.keys()].sort(compareKeys);
    return this.#sortedKeys;
  }

  #toStoredObject(key: string, object: ServerObject): StoredObject {
    // A copy: a caller editing what it read must not change the store.
    return { key, body: new Uint8Array(object.body), etag: object.etag, lastModified: lastModified(object) };
  }

  /** One leg's latency. Always three draws, spike or not, to keep the stream aligned. */
  #latency(faults: StoreFaults): number {
    const spike = this.#random() < faults.spikeProbability;
    const normal = drawDuration(this.#random, faults.latencyMs);
    const spiked = drawDuration(this.#random, faults.spikeLatencyMs);
    if (!spike) return normal;
    this.#statistics.spikes += 1;
    return spiked;
  }

  #unknownOrUnavailable(call: Call<unknown>, what: string): Error {
    return call.conditional ? this.#outcomeUnknown(call, what) : this.#unavailable(call, what);
  }

  #outcomeUnknown(call: Call<unknown>, what: string): Error {
    return new OutcomeUnknownError({ operation: call.operation, key: call.key, store: this.description, cause: what });
  }

  #unavailable(call: Call<unknown>, what: string): Error {
    return new StorageUnavailableError(`The store is unavailable (${what}); retry later`, {
      operation: call.operation,
      key: call.key,
      store: this.description,
    });
  }
}

/**
 * One process's view of a {@link SimulatedStore}, implementing the `ObjectStore` contract:
 * arguments are checked at once (as every backend does), then the call goes over the simulated network.
 */
class SimulatedStoreClient implements ObjectStore {
  readonly capabilities: StoreCapabilities;
  readonly description: string;
  readonly #server: StoreServer;
  readonly #process: SimulatedProcess;

  constructor(server: StoreServer, process: SimulatedProcess) {
    this.#server = server;
    this.#process = process;
    this.capabilities = server.capabilities;
    this.description = server.description;
  }

  async get(key: string, options: GetOptions = {}): Promise<StoredObject | undefined> {
    assertValidKey(key, 'get');
    const server = this.#server;
    return server.call({
      process: this.#process,
      operation: 'get',
      key,
      conditional: false,
      write: false,
      preconditionHolds: undefined,
      signal: options.signal,
      apply: () => server.get(key),
    });
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    assertValidKey(key, 'put');
    assertOnePrecondition(options, key);
    // Copied now: the caller may reuse its buffer while the request is in flight.
    const bytes = toBytes(body);
    const preconditions: PutOptions = { ifNoneMatch: options.ifNoneMatch, ifMatch: options.ifMatch };
    const server = this.#server;
    const process = this.#process;
    const conditional = options.ifNoneMatch !== undefined || options.ifMatch !== undefined;
    return server.call({
      process,
      operation: 'put',
      key,
      conditional,
      write: true,
      preconditionHolds: conditional ? () => server.putPreconditionHolds(key, preconditions) : undefined,
      signal: options.signal,
      apply: () => server.put(key, bytes, preconditions, process),
    });
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    assertValidKey(key, 'delete');
    const server = this.#server;
    // A store that ignores If-Match (RGW) is sent it anyway, as a caller that skipped the capability check would.
    if (options.ifMatch !== undefined && !this.capabilities.conditionalDelete && server.enforcesConditionalDelete) {
      throw new UnsupportedOperationError(
        'This simulated store does not enforce conditional deletes (capabilities.conditionalDelete is false)',
        { operation: 'delete', key, store: this.description },
      );
    }
    const preconditions: DeleteOptions = { ifMatch: options.ifMatch };
    const process = this.#process;
    const enforced = options.ifMatch !== undefined && server.enforcesConditionalDelete;
    return server.call({
      process,
      operation: 'delete',
      key,
      conditional: options.ifMatch !== undefined,
      write: true,
      preconditionHolds: enforced ? () => server.deletePreconditionHolds(key, preconditions) : undefined,
      signal: options.signal,
      apply: () => {
        server.delete(key, preconditions, process);
      },
    });
  }

  async list(options: ListOptions): Promise<ListPage> {
    assertValidPrefix(options.prefix);
    const limit = effectiveListLimit(options.limit, this.capabilities.maxListLimit);
    const { prefix, cursor } = options;
    const server = this.#server;
    return server.call({
      process: this.#process,
      operation: 'list',
      key: undefined,
      conditional: false,
      write: false,
      preconditionHolds: undefined,
      signal: options.signal,
      apply: () => server.list(prefix, cursor, limit),
    });
  }
}

function drawDuration(random: RandomSource, range: DurationRange): number {
  return range.minimum + random() * (range.maximum - range.minimum);
}

function lastModified(object: ServerObject): Date {
  return new Date(SIMULATION_EPOCH_MS + object.lastModifiedAt);
}
