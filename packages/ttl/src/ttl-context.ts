import { randomToken, type CorruptObjectLog } from '@baton/plugin';
import type { CorruptMarkerError, CorruptRecordError } from './errors';
import { RecordStore, type VersionedRecord } from './record-store';
import { granularityFor, TTLKeys } from './ttl-keys';
import type { ResolvedTTLOptions } from './ttl-options';
import { encodeRecord, markerIdOf, type MarkerReference, type TTLRecord } from './ttl-record';

/** What the writer side and the sweeper share: options, key layout and helpers. */
export class TTLContext {
  /** Resolved options. */
  readonly options: ResolvedTTLOptions;
  /** The key layout. */
  readonly keys: TTLKeys;

  /** Where unreadable objects are reported, once per version (the collection's `record:corrupt`). */
  readonly corruptObjects: CorruptObjectLog<CorruptRecordError | CorruptMarkerError>;

  constructor(options: ResolvedTTLOptions, corruptObjects: CorruptObjectLog<CorruptRecordError | CorruptMarkerError>) {
    this.options = options;
    this.keys = new TTLKeys(options.collection);
    this.corruptObjects = corruptObjects;
  }

  /** Record and marker access through `store` (the sweeper passes its counting view). */
  recordStore(store = this.options.store): RecordStore {
    return new RecordStore(store, this.keys);
  }

  /** A fresh random token (versions, claim and tombstone tokens, marker ids). */
  token(): string {
    return randomToken(this.options.environment.random, 12);
  }

  /** Wall ms now. */
  wallNow(): number {
    return this.options.environment.clock.wallNow();
  }

  /** Monotonic ms now. */
  monotonicNow(): number {
    return this.options.environment.clock.monotonicNow();
  }

  /** A new marker reference for a sweep due at `sweepAt`, in the configured (or fitting) lane. */
  newMarker(sweepAt: number): MarkerReference {
    const granularity = this.options.granularity === 'auto' ? granularityFor(sweepAt - this.wallNow()) : this.options.granularity;
    return { sweepAt, granularity };
  }

  /** The key of the marker that points at `record` once it is written (as it will be encoded). */
  markerKeyFor(record: TTLRecord): string | undefined {
    if (record.marker === null) return undefined;
    return this.keys.marker(record.key, record.marker.granularity, record.marker.sweepAt, markerIdOf(record, encodeRecord(record)));
  }

  /** The key of the marker that points at a record as read, or `undefined` when none does. */
  markerKeyOf(current: VersionedRecord): string | undefined {
    const marker = current.record.marker;
    return marker === null ? undefined : this.keys.marker(current.record.key, marker.granularity, marker.sweepAt, current.markerId);
  }

  /** Whether the store enforces `If-Match` on DELETE (if not, records are removed through tombstones). */
  get conditionalDelete(): boolean {
    return this.options.store.capabilities.conditionalDelete;
  }

  /** `record` as rewritten now by this process: a fresh version and write time. */
  rewrite(record: TTLRecord, changes: Partial<TTLRecord>): TTLRecord {
    return { ...record, ...changes, version: this.token(), updatedAt: this.wallNow() };
  }
}
