import { bytesToText, isStorageError, type ObjectStore, type StoredObject } from '@baton/storage';
import { encodeJobRecord, parseJobRecord, type JobRecord } from './job-record';
import { MarkerDeletions, type MarkerDeletionsOptions } from './marker-deletions';
import type { QueueKeys } from './queue-keys';

// Own writes remembered (see JobStore.ownWrite): at most this many, of at most this many bytes
// each, so at most 32 MiB.
const OWN_WRITES_KEPT = 8192;
const OWN_WRITE_MAX_BODY = 4096;

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
 * outcome is always settled: a refusal is a lost race; an unknown outcome (timeout, 5xx, 409)
 * is decided by re-reading — our exact bytes (they hold a fresh revision and, for claims, a random
 * token) mean the write was applied.
 */
export class JobStore {
  readonly #store: ObjectStore;
  readonly #keys: QueueKeys;
  // The latest versions this process wrote (id → ETag and record), most recent last: the leader's
  // sweep uses them instead of reading back a record it wrote itself (e.g. a job it completed).
  readonly #ownWrites = new Map<string, VersionedJob>();
  readonly #markerDeletions: MarkerDeletions;

  constructor(store: ObjectStore, keys: QueueKeys, markerDeletions: Omit<MarkerDeletionsOptions, 'store'>) {
    this.#store = store;
    this.#keys = keys;
    this.#markerDeletions = new MarkerDeletions({ ...markerDeletions, store });
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
    await this.#markerDeletions.withdraw(key);
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

  /** Deletes a marker; a missing one is fine. */
  async deleteMarker(key: string, signal?: AbortSignal): Promise<void> {
    await this.#store.delete(key, { signal });
  }

  async #write(record: JobRecord, condition: { ifNoneMatch: '*' } | { ifMatch: string }, signal: AbortSignal | undefined): Promise<WriteOutcome> {
    const key = this.#keys.job(record.id);
    const body = encodeJobRecord(record);
    try {
      const { etag } = await this.#store.put(key, body, { ...condition, signal, contentType: 'application/json' });
      this.#remember(record, etag, body.length);
      return { kind: 'written', etag };
    } catch (error) {
      if (isStorageError(error, 'PRECONDITION_FAILED')) return { kind: 'lost', current: undefined };
      if (!isStorageError(error, 'OUTCOME_UNKNOWN') && !(error instanceof Error && error.name === 'AbortError')) throw error;
      // The write may or may not have landed: the stored bytes decide. The re-read does not use
      // the caller's signal, which may be the reason the write was abandoned.
      const current = await this.#store.get(key);
      if (current !== undefined && bytesToText(current.body) === body) {
        this.#remember(record, current.etag, body.length);
        return { kind: 'written', etag: current.etag };
      }
      // Aborted by the caller and not applied: report the abort, not a lost race.
      if (!isStorageError(error, 'OUTCOME_UNKNOWN')) throw error;
      return { kind: 'lost', current: current === undefined ? undefined : toVersioned(key, current) };
    }
  }

  #remember(record: JobRecord, etag: string, bodyLength: number): void {
    this.#ownWrites.delete(record.id);
    if (bodyLength > OWN_WRITE_MAX_BODY) return;
    this.#ownWrites.set(record.id, { record, etag });
    if (this.#ownWrites.size > OWN_WRITES_KEPT) this.#ownWrites.delete(this.#ownWrites.keys().next().value as string);
  }
}

function toVersioned(key: string, object: StoredObject): VersionedJob {
  return { record: parseJobRecord(key, object.body), etag: object.etag };
}
