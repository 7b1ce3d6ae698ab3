import type { RecordStore, VersionedRecord } from './record-store';
import type { TTLContext } from './ttl-context';
import type { MarkerReference, TombstoneRecord } from './ttl-record';

/** What the caller says about a removal; the rest of the tombstone is filled in here. */
export type TombstoneReason = Omit<TombstoneRecord, 'token' | 'at' | 'deleteBoundMs' | 'graceMs'>;

/** How a removal ended. */
export type RemovalOutcome =
  /** The record is gone. */
  | 'removed'
  /** The record changed (or went) since it was read: re-read and decide again. */
  | 'lost'
  /** A tombstone was written but not deleted within its bound: it stays for a later sweep. */
  | 'left';

/** A tombstone this process wrote: its ETag, and when (monotonic) it started writing it. */
export interface WrittenTombstone {
  etag: string;
  startedAt: number;
}

/**
 * Removes records without ever deleting a version it did not read.
 *
 * With conditional DELETE (memory, file, AWS S3): `DELETE If-Match <etag read>`.
 *
 * Without it (Ceph RGW ignores `If-Match` on DELETE): compare-and-swap the record to a tombstone,
 * then DELETE unconditionally — but only within `tombstoneDeleteBoundMs` of starting the
 * tombstone write (monotonic clock, re-checked immediately before the DELETE), and with the DELETE
 * itself aborted at that bound. The tombstone carries this remover's bound and grace
 * (`deleteBoundMs`, `graceMs`), and writers never overwrite a tombstone before they have observed
 * the same tombstone ETag for the longer of their own grace and the tombstone's (> 2 × the
 * bound), so the unconditional DELETE can only ever hit the tombstone, never a record written
 * after it — whatever options the other processes run with. A tombstone left behind is removed by a later sweep,
 * which re-tombstones it under the same rule.
 */
export class RecordRemoval {
  readonly #context: TTLContext;
  readonly #records: RecordStore;

  constructor(context: TTLContext, records: RecordStore) {
    this.#context = context;
    this.#records = records;
  }

  /**
   * Removes the version `current` of a record (see the class comment). `marker` is the marker a
   * tombstone names when `current` has none (so that a sweep finds a tombstone left behind).
   */
  async remove(current: VersionedRecord, tombstone: TombstoneReason, signal?: AbortSignal, marker?: MarkerReference): Promise<RemovalOutcome> {
    if (this.#context.conditionalDelete) {
      return (await this.#records.deleteIfMatch(current.record.key, current.etag, signal)) ? 'removed' : 'lost';
    }
    const written = await this.tombstone(current, tombstone, signal, marker);
    if (written === undefined) return 'lost';
    return this.deleteTombstone(current.record.key, written);
  }

  /**
   * Compare-and-swaps `current` to a tombstone naming the same marker (or `marker`); `undefined`
   * when it changed meanwhile.
   */
  async tombstone(current: VersionedRecord, tombstone: TombstoneReason, signal?: AbortSignal, marker?: MarkerReference): Promise<WrittenTombstone | undefined> {
    const context = this.#context;
    const startedAt = context.monotonicNow();
    const named = current.record.marker === null ? marker : { ...current.record.marker, id: current.markerId };
    const record = context.rewrite(current.record, {
      state: 'tombstone',
      marker: named ?? null,
      claim: null,
      tombstone: { ...tombstone, token: context.token(), at: context.wallNow(), deleteBoundMs: context.options.tombstoneDeleteBoundMs, graceMs: context.options.tombstoneGraceMs },
      leaderEpoch: Math.max(current.record.leaderEpoch, tombstone.epoch),
    });
    const outcome = await this.#records.replace(record, current.etag, signal);
    return outcome.kind === 'written' ? { etag: outcome.current.etag, startedAt } : undefined;
  }

  /**
   * Deletes a tombstone this process wrote, if still within its bound. Never takes the caller's
   * signal: once the tombstone is written, finishing its removal is always right; only the bound
   * may cut it short.
   */
  async deleteTombstone(recordKey: string, written: WrittenTombstone): Promise<RemovalOutcome> {
    const context = this.#context;
    const remaining = context.options.tombstoneDeleteBoundMs - (context.monotonicNow() - written.startedAt);
    if (remaining <= 0) return 'left';
    const bound = new AbortController();
    const { timers } = context.options.environment;
    const timer = timers.setTimeout(() => {
      bound.abort(new Error('tombstone delete bound passed'));
    }, remaining);
    try {
      await this.#records.deleteUnconditionally(recordKey, bound.signal);
      return 'removed';
    } catch (error) {
      context.options.logger.warn({ recordKey, error }, `[ttl:${context.options.collection}] tombstone of ${JSON.stringify(recordKey)} left for a later sweep: ${error instanceof Error ? error.message : String(error)}`);
      return 'left';
    } finally {
      timers.clearTimeout(timer);
    }
  }
}
