import { isAbortError, isStorageError, writeConditionally, type ObjectStore, type StoredObject, type WriteCondition } from '@baton/storage';
import type { TTLKeys } from './ttl-keys';
import { encodeRecord, markerIdOf, parseRecord, type TTLRecord } from './ttl-record';

/** A record as read, with the ETag to compare-and-swap on. */
export interface VersionedRecord {
  /** The record. */
  record: TTLRecord;
  /** Its ETag. */
  etag: string;
  /** The id of the due marker pointing at it (see `MarkerReference`). */
  markerId: string;
}

/** How a conditional write ended, always settled. `written` carries the record as now stored. */
export type WriteOutcome = { kind: 'written'; current: VersionedRecord } | { kind: 'lost' };

/**
 * Reads and writes records and due markers. Every record write is conditional and its outcome is
 * always settled by `writeConditionally`, the one rule shared with the queue: a refusal (412) is a
 * lost race; any other failure or abort is an unknown outcome decided by re-reading — our exact
 * bytes (they hold a fresh random version) mean we won.
 */
export class RecordStore {
  readonly #store: ObjectStore;
  readonly #keys: TTLKeys;

  constructor(store: ObjectStore, keys: TTLKeys) {
    this.#store = store;
    this.#keys = keys;
  }

  /** The underlying store. */
  get store(): ObjectStore {
    return this.#store;
  }

  /** Reads a record, or `undefined` when there is none. */
  async read(recordKey: string, signal?: AbortSignal): Promise<VersionedRecord | undefined> {
    const key = this.#keys.record(recordKey);
    const object = await this.#store.get(key, { signal });
    return object === undefined ? undefined : toVersioned(key, object);
  }

  /** Creates a record that must not exist yet. */
  create(record: TTLRecord, signal?: AbortSignal): Promise<WriteOutcome> {
    return this.#write(record, { ifNoneMatch: '*' }, signal);
  }

  /**
   * Replaces the record whose ETag is `etag` — which may be a marker id, the ETag predicted for
   * the version a marker was written for (the store refuses if it is not the current one).
   */
  replace(record: TTLRecord, etag: string, signal?: AbortSignal): Promise<WriteOutcome> {
    return this.#write(record, { ifMatch: etag }, signal);
  }

  /**
   * Deletes the record only if its ETag is still `etag`. Only for stores with
   * `capabilities.conditionalDelete`. Returns whether it was deleted (false: it changed or went).
   */
  async deleteIfMatch(recordKey: string, etag: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#store.delete(this.#keys.record(recordKey), { ifMatch: etag, signal });
      return true;
    } catch (error) {
      if (isStorageError(error, 'PRECONDITION_FAILED')) return false;
      throw error;
    }
  }

  /**
   * Deletes the record whatever it holds. Only ever called for a tombstone this process wrote,
   * within the tombstone's delete bound (see the sweeper).
   */
  async deleteUnconditionally(recordKey: string, signal?: AbortSignal): Promise<void> {
    await this.#store.delete(this.#keys.record(recordKey), { signal });
  }

  /** Writes an empty due marker. Unconditional: a marker is a hint, and writing one twice is harmless. */
  async putMarker(key: string, signal?: AbortSignal): Promise<void> {
    await this.#store.put(key, '', { signal, contentType: 'application/octet-stream' });
  }

  /** Deletes a due marker; a missing one is fine. */
  async deleteMarker(key: string, signal?: AbortSignal): Promise<void> {
    await this.#store.delete(key, { signal });
  }

  async #write(record: TTLRecord, condition: WriteCondition, signal: AbortSignal | undefined): Promise<WriteOutcome> {
    const body = encodeRecord(record);
    const outcome = await writeConditionally(this.#store, this.#keys.record(record.key), body, condition, { signal, contentType: 'application/json' });
    switch (outcome.kind) {
      case 'written':
        return { kind: 'written', current: { record, etag: outcome.etag, markerId: markerIdOf(record, body) } };
      case 'refused':
        return { kind: 'lost' };
      case 'not-applied':
        if (isAbortError(outcome.error)) throw outcome.error; // aborted and not in effect: report the abort
        return { kind: 'lost' };
    }
  }
}

function toVersioned(key: string, object: StoredObject): VersionedRecord {
  const record = parseRecord(key, object.body, object.etag);
  return { record, etag: object.etag, markerId: markerIdOf(record, object.body) };
}
