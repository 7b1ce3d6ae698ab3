import { EventEmitter } from 'node:events';
import { CorruptObjectLog, type CorruptObjectReport } from '@baton/plugin';
import { sleep, throwIfAborted } from '@baton/storage';
import { CorruptMarkerError, CorruptRecordError, InvalidTTLOptionsError } from './errors';
import { assertKnownOptionNames, type OptionNames } from './option-names';
import { encodeRecordValue, type JsonValue } from './json-value';
import { RecordRemoval } from './record-removal';
import type { RecordStore, VersionedRecord } from './record-store';
import { Sweeper, type SweepOptions, type SweepReport } from './sweeper';
import { TTLContext } from './ttl-context';
import { assertValidRecordKey } from './ttl-keys';
import { MetricsRecorder, type TTLMetrics } from './ttl-metrics';
import { assertInteger, MAX_TTL_MS, resolveTTLOptions, type ResolvedTTLOptions, type TTLCollectionOptions } from './ttl-options';
import { isVisible, tombstoneWaitMs, TTL_RECORD_FORMAT, type MarkerReference, type TTLRecord } from './ttl-record';

/** When a record expires: after `ttlMs` from now, or at `expiresAt` (wall ms). Give one. */
export interface ExpiryOptions {
  /** Time to live from now, in ms (1 .. 100 years). */
  ttlMs?: number;
  /** The expiry time, in wall ms since the epoch; must be in the future. */
  expiresAt?: number;
  /** Aborts the call. An aborted write may or may not have been applied. */
  signal?: AbortSignal;
}

const EXPIRY_OPTION_NAMES = { ttlMs: true, expiresAt: true, signal: true } as const satisfies OptionNames<ExpiryOptions>;

/** A readable record, as `get` returns it. */
export interface TTLEntry {
  /** The key. */
  key: string;
  /** The value. */
  value: JsonValue;
  /** When it expires (wall ms), or `null` if an expiry callback decided to keep it for good. */
  expiresAt: number | null;
  /** When it was last written (wall ms, the writer's clock). */
  updatedAt: number;
}

/** The events of a {@link TTLCollection} (subscribe with `on`). */
export interface TTLEvents {
  /**
   * The sweep met an object under the collection's prefix it cannot read, and set it aside so
   * that it costs only itself (see `SweepReport.corrupt`). Once per object version.
   */
  'record:corrupt': CorruptObjectReport<CorruptRecordError | CorruptMarkerError>;
}

/** The name of a {@link TTLEvents} event. */
export type TTLEventName = keyof TTLEvents;

const FIRST_TOMBSTONE_POLL_MS = 20;
const LONGEST_TOMBSTONE_POLL_MS = 500;

/**
 * Records with an expiry in a named collection on a store. Every process may `set`, `get`,
 * `touch` and `delete`; the leader calls {@link sweep} (the {@link TTLPlugin} does it on a hub).
 * `get` never returns an expired record, whether or not a sweep ran: expiry is judged on the
 * reader's wall clock.
 */
export class TTLCollection {
  /** Resolved options. */
  readonly options: ResolvedTTLOptions;
  readonly #context: TTLContext;
  readonly #records: RecordStore;
  readonly #removal: RecordRemoval;
  readonly #metrics = new MetricsRecorder();
  readonly #sweeper: Sweeper;
  readonly #emitter = new EventEmitter();

  /** @throws {InvalidTTLOptionsError} naming the first invalid option. */
  constructor(options: TTLCollectionOptions) {
    this.options = resolveTTLOptions(options);
    const { logger, collection } = this.options;
    const corruptObjects = new CorruptObjectLog<CorruptRecordError | CorruptMarkerError>({
      logger,
      label: `[ttl:${collection}]`,
      onReport: (report) => {
        this.#metrics.corrupt(report.error instanceof CorruptMarkerError ? 'markers' : 'records');
        try {
          this.#emitter.emit('record:corrupt', report);
        } catch (error) {
          logger.error({ error, event: 'record:corrupt' }, `[ttl:${collection}] a listener threw; listeners must not throw`);
        }
      },
    });
    this.#context = new TTLContext(this.options, corruptObjects);
    this.#records = this.#context.recordStore();
    this.#removal = new RecordRemoval(this.#context, this.#records);
    this.#sweeper = new Sweeper(this.#context, this.#metrics);
  }

  /** Subscribes to an event. Returns a function that unsubscribes. */
  on<Name extends TTLEventName>(name: Name, listener: (payload: TTLEvents[Name]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  /** The collection's root prefix in the store (`ttl/<collection>/`). */
  get root(): string {
    return this.#context.keys.root;
  }

  /**
   * Writes `value` at `key`, replacing any record there, expiring per `options` (or
   * `defaultTtlMs`). The due marker is written first and the record second, so a record never
   * lacks its marker. A tombstone left by a removal in progress is waited out (see README). An
   * unreadable object at the key (garbage) is replaced too.
   *
   * @throws {InvalidRecordKeyError}, {InvalidRecordValueError}, {RecordValueTooLargeError},
   *   {InvalidTTLOptionsError} before anything is written; {CorruptRecordError} when the key
   *   holds a record in another version's format (replace it with that version).
   */
  async set(key: string, value: unknown, options: ExpiryOptions = {}): Promise<TTLEntry> {
    assertValidRecordKey(key);
    const expiresAt = this.#expiresAt(options, this.options.defaultTtlMs);
    const json = encodeRecordValue(value);
    const { signal } = options;
    const context = this.#context;
    const version = context.token();
    const updatedAt = context.wallNow();
    const marker = context.newMarker(expiresAt);
    const record = (leaderEpoch: number): TTLRecord => ({
      format: TTL_RECORD_FORMAT,
      key,
      value: JSON.parse(json) as JsonValue,
      expiresAt,
      state: 'live',
      version,
      marker,
      updatedAt,
      leaderEpoch,
      claim: null,
      tombstone: null,
      failure: null,
    });
    const markers = new MarkerWriter(context, this.#records, signal);
    // Most keys are new: try to create first, and read only when something is there.
    await markers.ensureFor(record(0));
    let outcome = await this.#records.create(record(0), signal);
    const tombstones = new TombstoneWait(context);
    while (outcome.kind === 'lost') {
      throwIfAborted(signal);
      const current = await this.#readReplaceable(key, signal);
      if (current instanceof CorruptRecordError) {
        // Garbage at the key: replaced by compare-and-swap on the version read (a valid record
        // written meanwhile is not overwritten blindly; it is read and replaced as usual).
        outcome = await this.#records.replace(record(0), current.etag as string, signal);
        continue;
      }
      if (current === undefined) {
        outcome = await this.#records.create(record(0), signal);
        continue;
      }
      if (current.record.state === 'tombstone' && !(await tombstones.mayOverwrite(current, signal))) continue;
      const replacement = record(current.record.leaderEpoch);
      await markers.ensureFor(replacement);
      outcome = await this.#records.replace(replacement, current.etag, signal);
      if (outcome.kind === 'written') await this.#dropMarker(current, outcome.current);
    }
    return { key, value: JSON.parse(json) as JsonValue, expiresAt, updatedAt };
  }

  /** The record at `key`, or `undefined` when there is none or it has expired (by this host's wall clock). */
  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<TTLEntry | undefined> {
    assertValidRecordKey(key);
    const current = await this.#records.read(key, options.signal);
    if (current === undefined || !isVisible(current.record, this.#context.wallNow())) return undefined;
    const { record } = current;
    return { key, value: record.value, expiresAt: record.expiresAt, updatedAt: record.updatedAt };
  }

  /**
   * Gives a readable record a new expiry (compare-and-swap). Returns `false`, writing nothing but
   * perhaps an unused marker, when there is no readable record (missing, expired, deleted).
   */
  async touch(key: string, options: ExpiryOptions): Promise<boolean> {
    assertValidRecordKey(key);
    const expiresAt = this.#expiresAt(options, undefined);
    const { signal } = options;
    const context = this.#context;
    const markers = new MarkerWriter(context, this.#records, signal);
    for (;;) {
      throwIfAborted(signal);
      const current = await this.#records.read(key, signal);
      if (current === undefined || !isVisible(current.record, context.wallNow())) return false;
      const touched = context.rewrite(current.record, { expiresAt, marker: context.newMarker(expiresAt), failure: null });
      await markers.ensureFor(touched);
      const outcome = await this.#records.replace(touched, current.etag, signal);
      if (outcome.kind === 'written') {
        await this.#dropMarker(current, outcome.current);
        return true;
      }
    }
  }

  /**
   * Deletes the record at `key` (without ever deleting a version written after it was read).
   * Returns whether a readable record was deleted.
   */
  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    assertValidRecordKey(key);
    const { signal } = options;
    const context = this.#context;
    for (;;) {
      throwIfAborted(signal);
      const current = await this.#records.read(key, signal);
      if (current === undefined || current.record.state === 'tombstone') return false;
      const visible = isVisible(current.record, context.wallNow());
      let marker: MarkerReference | undefined;
      if (!context.conditionalDelete && current.record.marker === null) {
        // A tombstone must always have a marker, so that a sweep finds it if it is left behind.
        marker = { ...context.newMarker(context.wallNow()), id: context.token() };
        await this.#records.putMarker(context.keys.marker(key, marker.granularity, marker.sweepAt, marker.id as string), signal);
      }
      const outcome = await this.#removal.remove(current, { epoch: 0, reason: 'deleted', archive: false }, signal, marker);
      if (outcome === 'lost') continue;
      if (outcome === 'removed') {
        const markerKey = marker === undefined ? context.markerKeyOf(current) : context.keys.marker(key, marker.granularity, marker.sweepAt, marker.id as string);
        if (markerKey !== undefined) await this.#deleteMarker(markerKey);
      }
      return visible;
    }
  }

  /**
   * One sweep: carries out the expiry of every record due by this host's wall clock. Leader-only
   * (the plugin calls it while leading): pass the leadership epoch and signal.
   *
   * @throws {StaleEpochError} when a newer epoch has acted on this collection.
   */
  sweep(options: SweepOptions): Promise<SweepReport> {
    return this.#sweeper.sweep(options);
  }

  /** Expiries by strategy, expiry lag p50/p99, sweep durations and requests. */
  getMetrics(): TTLMetrics {
    return this.#metrics.snapshot();
  }

  /** Requests the sweeps have sent, by operation. */
  get sweepRequestCounts(): { get: number; put: number; delete: number; list: number } {
    return this.#sweeper.requestCounts;
  }

  /**
   * The record at `key` for `set` to replace; for garbage (not another version's record, which
   * only that version may replace), the error, carrying the ETag to replace it on.
   */
  async #readReplaceable(key: string, signal: AbortSignal | undefined): Promise<VersionedRecord | CorruptRecordError | undefined> {
    try {
      return await this.#records.read(key, signal);
    } catch (error) {
      if (error instanceof CorruptRecordError && !error.otherVersion && error.etag !== undefined) return error;
      throw error;
    }
  }

  /** Deletes the marker of a replaced version, unless the new version has the same one (best effort: a sweep drops it anyway). */
  async #dropMarker(replaced: VersionedRecord, written: VersionedRecord): Promise<void> {
    const old = this.#context.markerKeyOf(replaced);
    if (old !== undefined && old !== this.#context.markerKeyOf(written)) await this.#deleteMarker(old);
  }

  async #deleteMarker(markerKey: string): Promise<void> {
    try {
      await this.#records.deleteMarker(markerKey);
    } catch (error) {
      this.options.logger.debug({ markerKey, error }, `[ttl:${this.options.collection}] stale marker left for the sweep`);
    }
  }

  #expiresAt(options: ExpiryOptions, defaultTtlMs: number | undefined): number {
    if (typeof options !== 'object' || (options as unknown) === null) throw new InvalidTTLOptionsError('options', options, 'an object with ttlMs or expiresAt');
    assertKnownOptionNames(options, EXPIRY_OPTION_NAMES);
    const { ttlMs, expiresAt } = options;
    if (ttlMs !== undefined && expiresAt !== undefined) throw new InvalidTTLOptionsError('ttlMs', ttlMs, 'give ttlMs or expiresAt, not both');
    const now = this.#context.wallNow();
    if (expiresAt !== undefined) {
      assertInteger('expiresAt', expiresAt, now + 1, now + MAX_TTL_MS);
      return expiresAt;
    }
    const ttl = ttlMs ?? defaultTtlMs;
    if (ttl === undefined) throw new InvalidTTLOptionsError('ttlMs', ttl, 'give ttlMs or expiresAt (or configure defaultTtlMs)');
    assertInteger('ttlMs', ttl, 1, MAX_TTL_MS);
    return now + ttl;
  }
}

/** Writes the marker for each version a writer tries, once per distinct marker (marker first, record second). */
class MarkerWriter {
  readonly #context: TTLContext;
  readonly #records: RecordStore;
  readonly #signal: AbortSignal | undefined;
  readonly #written = new Set<string>();

  constructor(context: TTLContext, records: RecordStore, signal: AbortSignal | undefined) {
    this.#context = context;
    this.#records = records;
    this.#signal = signal;
  }

  /** Writes the marker that will point at `record`, unless already written. */
  async ensureFor(record: TTLRecord): Promise<void> {
    const key = this.#context.markerKeyFor(record);
    if (key === undefined || this.#written.has(key)) return;
    await this.#records.putMarker(key, this.#signal);
    this.#written.add(key);
  }
}

/**
 * A writer's patience with a tombstone: it may overwrite one only after observing the same
 * tombstone ETag on its monotonic clock for the longer of its own `tombstoneGraceMs` and the grace
 * written in the tombstone by its remover (see `tombstoneWaitMs`): its remover has crashed. Until
 * then it polls, expecting the remover's DELETE within moments.
 */
class TombstoneWait {
  readonly #context: TTLContext;
  #etag: string | undefined;
  #firstSeenAt = 0;
  #pollMs = FIRST_TOMBSTONE_POLL_MS;

  constructor(context: TTLContext) {
    this.#context = context;
  }

  /** True when the tombstone `current` may be overwritten now; otherwise waits a poll interval and returns false. */
  async mayOverwrite(current: VersionedRecord, signal: AbortSignal | undefined): Promise<boolean> {
    const now = this.#context.monotonicNow();
    if (this.#etag !== current.etag) {
      this.#etag = current.etag;
      this.#firstSeenAt = now;
    } else if (now - this.#firstSeenAt >= tombstoneWaitMs(current.record.tombstone, this.#context.options.tombstoneGraceMs)) {
      return true;
    }
    await sleep(this.#pollMs, signal, this.#context.options.environment.timers);
    this.#pollMs = Math.min(LONGEST_TOMBSTONE_POLL_MS, this.#pollMs * 2);
    return false;
  }
}
