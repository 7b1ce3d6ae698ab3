import { randomToken, type CoordinatorEnvironment } from '@baton/plugin';
import { deleteKeys, writeConditionally, type ObjectStore, type StoredObject, type WriteCondition } from '@baton/storage';
import { isAbortedBy } from './abort-reason';
import { Batcher } from './batcher';
import { encodeFinishedJobs, type FinishedJob } from './finished-journal';
import { encodeJobRecord, parseJobRecord, type JobRecord } from './job-record';
import type { QueueKeys } from './queue-keys';

// Own writes remembered (see JobStore.ownWrite): at most this many, of at most this many bytes
// each, so at most 32 MiB.
const OWN_WRITES_KEPT = 8192;
const OWN_WRITE_MAX_BODY = 4096;

/** How a {@link JobStore} batches what can wait: marker deletions and the journal of completed jobs. */
export interface JobStoreOptions {
  /** Clock, timers and randomness (injected). */
  environment: CoordinatorEnvironment;
  /** Ready markers of claimed jobs deleted per batch, at most. */
  markerBatchSize: number;
  /** How long a marker deletion may wait for its batch, in ms. */
  markerDelayMs: number;
  /** How long a completion may wait for its journal object, in ms. */
  journalDelayMs: number;
  /** Called when a batch fails (it is dropped: both are hints). */
  onBatchError: (error: unknown, what: string) => void;
}

/** A job record as read, with the ETag to compare-and-swap on. */
export interface VersionedJob {
  /** The record. */
  record: JobRecord;
  /** Its ETag. */
  etag: string;
}

/** How a conditional write ended, always settled. */
export type WriteOutcome =
  | { kind: 'written'; etag: string }
  /** Refused (412), or unknown and the re-read shows another version. `current` is that version (undefined: missing or unread). */
  | { kind: 'lost'; current: VersionedJob | undefined };

/**
 * Reads and writes job records and index markers. Every record write is conditional, and its
 * outcome is always settled: a refusal is a lost race; any other failure or abort is decided by
 * re-reading — our exact bytes (they hold a fresh revision and, for claims, a random token) mean
 * the write was applied.
 */
export class JobStore {
  readonly #store: ObjectStore;
  readonly #keys: QueueKeys;
  // The latest versions this process wrote (id → ETag and record), most recent last: the leader's
  // sweep uses them instead of reading back a record it wrote itself (e.g. a job it completed).
  readonly #ownWrites = new Map<string, VersionedJob>();
  // Ready markers of claimed jobs, deleted together (the claim is what makes a job taken; a
  // marker is a hint, and other workers that list it spend a read to find it taken, so the wait is short).
  readonly #markerDeletions: Batcher<string>;
  // Jobs this process completed, written to the journal together (see finished-journal.ts).
  readonly #finishedJobs: Batcher<FinishedJob>;

  constructor(store: ObjectStore, keys: QueueKeys, options: JobStoreOptions) {
    this.#store = store;
    this.#keys = keys;
    const { timers, clock, random } = options.environment;
    this.#markerDeletions = new Batcher<string>({
      send: (markers) => deleteKeys(store, markers),
      timers,
      batchSize: options.markerBatchSize,
      delayMs: options.markerDelayMs,
      onError: (error, markers) => {
        options.onBatchError(error, `deleting ${markers.length} ready markers of claimed jobs`);
      },
    });
    this.#finishedJobs = new Batcher<FinishedJob>({
      send: async (jobs) => {
        await store.put(keys.finishedBatch(clock.wallNow(), randomToken(random, 12)), encodeFinishedJobs(jobs), { contentType: 'application/json' });
      },
      timers,
      batchSize: 1000,
      delayMs: options.journalDelayMs,
      onError: (error, jobs) => {
        options.onBatchError(error, `writing ${jobs.length} completed jobs to the journal`);
      },
    });
  }

  /** The underlying store. */
  get store(): ObjectStore {
    return this.#store;
  }

  /** Reads a job record, or `undefined` when there is none. */
  async read(id: string, signal?: AbortSignal): Promise<VersionedJob | undefined> {
    const key = this.#keys.job(id);
    const object = await this.#store.get(key, { signal });
    return object === undefined ? undefined : toVersioned(key, object);
  }

  /**
   * The record at `etag` if this process wrote that very version recently, without a request.
   * Only the last few thousand small records are kept.
   */
  ownWrite(id: string, etag: string): JobRecord | undefined {
    const known = this.#ownWrites.get(id);
    return known?.etag === etag ? known.record : undefined;
  }

  /** Creates a record that must not exist yet. */
  create(record: JobRecord, signal?: AbortSignal): Promise<WriteOutcome> {
    return this.#write(record, { ifNoneMatch: '*' }, signal);
  }

  /** Replaces the record whose ETag is `etag`. */
  replace(record: JobRecord, etag: string, signal?: AbortSignal): Promise<WriteOutcome> {
    return this.#write(record, { ifMatch: etag }, signal);
  }

  /** Writes an empty marker. Unconditional: markers are hints, and writing one twice is harmless. */
  async putMarker(key: string, signal?: AbortSignal): Promise<void> {
    await this.#markerDeletions.withdraw((marker) => marker === key);
    await this.#store.put(key, '', { signal, contentType: 'application/octet-stream' });
  }

  /** Deletes a marker with the next batch (see {@link MarkerDeletions}), unless it is written again first. */
  deleteMarkerSoon(key: string): void {
    this.#markerDeletions.add(key);
  }

  /** Sends the pending marker deletions now and waits for them. Never rejects. */
  flushMarkerDeletions(): Promise<void> {
    return this.#markerDeletions.flush();
  }

  /** Sends the pending marker deletions and journal entries now and waits for them. Never rejects. */
  async flushBatches(): Promise<void> {
    await Promise.all([this.#markerDeletions.flush(), this.#finishedJobs.flush()]);
  }

  /** Deletes a marker; a missing one is fine. */
  async deleteMarker(key: string, signal?: AbortSignal): Promise<void> {
    await this.#store.delete(key, { signal });
  }

  async #write(record: JobRecord, condition: WriteCondition, signal: AbortSignal | undefined): Promise<WriteOutcome> {
    const key = this.#keys.job(record.id);
    const body = encodeJobRecord(record);
    // Any failed or aborted write is settled by re-reading (see writeConditionally): our exact
    // bytes hold a fresh revision and, for claims, a random token, so they cannot be another's.
    const outcome = await writeConditionally(this.#store, key, body, condition, { signal, contentType: 'application/json' });
    if (outcome.kind === 'written') {
      this.#remember(record, outcome.etag, body.length);
      return { kind: 'written', etag: outcome.etag };
    }
    if (outcome.kind === 'refused') return { kind: 'lost', current: undefined };
    // Aborted by the caller and not in effect: report the abort, not a lost race. On S3 an
    // aborted call rejects with the signal's reason, whatever error object that is.
    if (isAbortedBy(outcome.error, signal)) throw outcome.error;
    return { kind: 'lost', current: outcome.current === undefined ? undefined : toVersioned(key, outcome.current) };
  }

  #remember(record: JobRecord, etag: string, bodyLength: number): void {
    if (record.state === 'completed' && record.finishedAt !== null) this.#finishedJobs.add({ id: record.id, etag, finishedAt: record.finishedAt });
    this.#ownWrites.delete(record.id);
    if (bodyLength > OWN_WRITE_MAX_BODY) return;
    this.#ownWrites.set(record.id, { record, etag });
    if (this.#ownWrites.size > OWN_WRITES_KEPT) this.#ownWrites.delete(this.#ownWrites.keys().next().value as string);
  }
}

function toVersioned(key: string, object: StoredObject): VersionedJob {
  return { record: parseJobRecord(key, object.body), etag: object.etag };
}
