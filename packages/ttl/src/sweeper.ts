import { EpochFence } from '@baton/plugin';
import { CountingStore, deleteKeys, throwIfAborted } from '@baton/storage';
import { CorruptMarkerError, CorruptRecordError, InvalidTTLOptionsError, StaleEpochError } from './errors';
import type { MetricsRecorder } from './ttl-metrics';
import type { RecordStore, VersionedRecord } from './record-store';
import { ClaimRenewal } from './claim-renewal';
import { RecordRemoval } from './record-removal';
import type { TTLContext } from './ttl-context';
import { GRANULARITIES, type DueMarker } from './ttl-keys';
import type { ExpiryDecision, ExpiryStrategy } from './ttl-options';
import { tombstoneWaitMs, TTL_RECORD_FORMAT, type TTLRecord } from './ttl-record';

/** Options of one sweep. */
export interface SweepOptions {
  /** The caller's leadership epoch (fencing token): a positive integer. */
  epoch: number;
  /** Aborts the sweep between records (pass the leadership signal). */
  signal?: AbortSignal;
}

/** What one sweep did. */
export interface SweepReport {
  /** Records whose expiry was carried out (deleted, archived, soft-deleted, or decided by the callback). */
  expired: number;
  /** Markers dropped because their record had moved on (touched, rewritten, deleted) or was gone. */
  staleMarkers: number;
  /** Due records left for a later sweep (a claim or tombstone of another process still in its grace, a callback retry). */
  deferred: number;
  /** Callback errors (each retried later, with backoff). */
  callbackErrors: number;
  /** Records that failed with a storage error (retried by the next sweep). */
  failed: number;
  /**
   * Objects first found unreadable by this sweep and set aside (each reported once per version,
   * see `record:corrupt`): a garbage record loses its marker and is kept for inspection; a record
   * of another version's format, and an object in a lane that is not a marker, are skipped.
   */
  corrupt: number;
  /** Storage requests of the sweep. */
  requests: number;
  /** Duration, ms. */
  durationMs: number;
}

interface Observation {
  etag: string;
  firstSeenAt: number;
}

type Step = 'done' | 'lost';
const MAX_STEPS_PER_MARKER = 5;
const FIRST_PAGE_LIMIT = 100;

/**
 * The leader-only sweep. It lists each lane of due markers from its start and stops at the first
 * marker not yet due, so it costs O(records due), whatever the number of live records. A marker
 * stays until its record has been dealt with, so records that become due after their cohort was
 * first listed, and backlogs after downtime, are found by the next sweep.
 *
 * Every change is a compare-and-swap on the version read (or a conditional delete, or the
 * tombstone rule of {@link RecordRemoval}), so a record touched or rewritten after the sweeper
 * read it is never removed. Claims and tombstones of other processes are judged abandoned only
 * after they were observed unchanged for a grace period on this process's monotonic clock.
 */
export class Sweeper {
  readonly #context: TTLContext;
  readonly #metrics: MetricsRecorder;
  readonly #counting: CountingStore;
  readonly #records: RecordStore;
  readonly #removal: RecordRemoval;
  readonly #observations = new Map<string, Observation>();
  readonly #ownClaims = new Set<string>();
  // Markers done with in the current page: deleted together, in one request where the store batches.
  #markersToDelete: string[] = [];
  readonly #fence = new EpochFence((epoch, highestEpoch) => new StaleEpochError(epoch, highestEpoch));

  constructor(context: TTLContext, metrics: MetricsRecorder) {
    this.#context = context;
    this.#metrics = metrics;
    this.#counting = new CountingStore(context.options.store);
    this.#records = context.recordStore(this.#counting);
    this.#removal = new RecordRemoval(context, this.#records);
  }

  /** Requests the sweeper has sent, by operation (for benchmarks). */
  get requestCounts(): CountingStore['counts'] {
    return { ...this.#counting.counts };
  }

  /** One sweep over every due marker (see the class comment). */
  async sweep(options: SweepOptions): Promise<SweepReport> {
    this.#checkEpoch(options.epoch);
    const context = this.#context;
    const startedAt = context.monotonicNow();
    const requestsBefore = this.#counting.total;
    const now = context.wallNow();
    const report: SweepReport = { expired: 0, staleMarkers: 0, deferred: 0, callbackErrors: 0, failed: 0, corrupt: 0, requests: 0, durationMs: 0 };
    const seen = new Set<string>();
    try {
      for (const granularity of GRANULARITIES) {
        let cursor: string | undefined;
        let limit = FIRST_PAGE_LIMIT;
        for (;;) {
          throwIfAborted(options.signal);
          const page = await this.#counting.list({ prefix: context.keys.lanePrefix(granularity), limit, signal: options.signal, ...(cursor === undefined ? {} : { cursor }) });
          const due: DueMarker[] = [];
          let reachedFuture = false;
          for (const entry of page.entries) {
            const marker = context.keys.parseMarker(entry.key);
            if (marker === undefined) {
              // Not ours (its name does not parse, or its time lies outside its cohort): skipped, so it cannot stop the lane.
              const error = new CorruptMarkerError(entry.key, 'its name is not <cohort start>/<sweep time>-<record key>/<marker id> with the sweep time inside its cohort');
              if (context.corruptObjects.report(entry.key, 'sweeping', error, entry.etag)) report.corrupt += 1;
              continue;
            }
            if (marker.sweepAt > now) {
              reachedFuture = true; // the lane is in sweepAt order: nothing further is due
              break;
            }
            due.push(marker);
            seen.add(marker.recordKey);
          }
          try {
            await this.#processAll(due, now, options, report);
          } finally {
            await this.#deleteDoneMarkers();
          }
          if (reachedFuture || page.nextCursor === undefined) break;
          cursor = page.nextCursor;
          limit = 1000;
        }
      }
      for (const key of this.#observations.keys()) if (!seen.has(key)) this.#observations.delete(key);
    } finally {
      report.durationMs = context.monotonicNow() - startedAt;
      report.requests = this.#counting.total - requestsBefore;
      this.#metrics.sweep(report.durationMs, report.requests);
    }
    return report;
  }

  /** Deletes the markers of the page just processed (after their records: a marker never outlives nothing). */
  async #deleteDoneMarkers(): Promise<void> {
    const markers = this.#markersToDelete;
    this.#markersToDelete = [];
    if (markers.length === 0) return;
    try {
      await deleteKeys(this.#counting, markers);
    } catch (error) {
      // Harmless: the next sweep finds them, reads their records and drops them.
      this.#context.options.logger.warn({ markers: markers.length, error }, `[ttl:${this.#context.options.collection}] deleting ${markers.length} done markers failed; the next sweep drops them`);
    }
  }

  async #processAll(due: readonly DueMarker[], now: number, options: SweepOptions, report: SweepReport): Promise<void> {
    let next = 0;
    let fatal = false;
    const worker = async (): Promise<void> => {
      while (next < due.length && !fatal) {
        // Checked before every record: a sweep stops the moment leadership is lost.
        throwIfAborted(options.signal);
        const marker = due[next] as DueMarker;
        next += 1;
        try {
          await this.#process(marker, now, options, report);
        } catch (error) {
          if (options.signal?.aborted === true || error instanceof StaleEpochError) {
            fatal = true; // the other workers stop after their current record
            throw error;
          }
          if (error instanceof CorruptRecordError) {
            this.#setAside(marker, error, report);
            continue;
          }
          report.failed += 1;
          this.#context.options.logger.warn({ marker: marker.key, error }, `[ttl:${this.#context.options.collection}] sweeping ${JSON.stringify(marker.recordKey)} failed, retried by the next sweep: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#context.options.sweepConcurrency, due.length) }, worker));
  }

  /**
   * A due record this version cannot read costs only itself: reported once per version; garbage
   * loses its marker (kept for inspection, never met again), while a record in another version's
   * format keeps it, for a sweeper of that version to find.
   */
  #setAside(marker: DueMarker, error: CorruptRecordError, report: SweepReport): void {
    this.#observations.delete(marker.recordKey);
    if (!error.otherVersion) this.#markersToDelete.push(marker.key);
    if (this.#context.corruptObjects.report(error.key, 'sweeping', error, error.etag)) report.corrupt += 1;
  }

  async #process(marker: DueMarker, now: number, options: SweepOptions, report: SweepReport): Promise<void> {
    if (this.#context.options.strategy === 'hard-delete' && (await this.#removeUnread(marker, options, report))) return;
    for (let step = 0; step < MAX_STEPS_PER_MARKER; step += 1) {
      throwIfAborted(options.signal);
      const current = await this.#records.read(marker.recordKey, options.signal);
      if (current?.markerId !== marker.markerId) {
        // Missing, or the record names another marker (touched, rewritten, handled): drop this one.
        this.#markersToDelete.push(marker.key);
        report.staleMarkers += 1;
        return;
      }
      this.#checkRecordEpoch(current.record, options.epoch);
      if ((await this.#handle(marker, current, now, options, report)) === 'done') return;
    }
    report.deferred += 1; // it kept changing under us: the next sweep looks again
  }

  async #handle(marker: DueMarker, current: VersionedRecord, now: number, options: SweepOptions, report: SweepReport): Promise<Step> {
    const { record } = current;
    const { options: settings } = this.#context;
    switch (record.state) {
      case 'tombstone': {
        // A removal that stopped half-way (its remover crashed, or passed its delete bound).
        if (!this.#context.conditionalDelete && !this.#observedFor(record.key, current.etag, tombstoneWaitMs(record.tombstone, settings.tombstoneGraceMs))) {
          report.deferred += 1;
          return 'done';
        }
        const strategy = record.tombstone?.reason === 'expired' ? settings.strategy : undefined;
        return this.#remove(marker, current, options, report, record.tombstone?.archive === true, strategy, options.signal);
      }
      case 'claimed': {
        const claim = record.claim;
        if (claim !== null && this.#ownClaims.has(claim.token)) return 'done';
        if (!this.#observedFor(record.key, current.etag, settings.callbackTimeoutMs)) {
          report.deferred += 1;
          return 'done';
        }
        settings.logger.warn({ recordKey: record.key, claim }, `[ttl:${settings.collection}] callback claim on ${JSON.stringify(record.key)} unchanged for ${settings.callbackTimeoutMs} ms: taking it back`);
        return this.#runCallback(marker, current, (claim?.attempt ?? 0) + 1, options, report);
      }
      case 'soft-deleted':
        this.#markersToDelete.push(marker.key);
        report.staleMarkers += 1;
        return 'done';
      case 'live':
        break;
    }
    if (record.expiresAt === null || record.expiresAt > now) {
      report.deferred += 1; // not expired by this sweep's clock (written by a host whose clock runs ahead)
      return 'done';
    }
    switch (settings.strategy) {
      case 'hard-delete':
        return this.#remove(marker, current, options, report, false, 'hard-delete', options.signal);
      case 'archive':
        return this.#remove(marker, current, options, report, true, 'archive', options.signal);
      case 'soft-delete':
        return this.#softDelete(marker, current, options.epoch, options.signal, report, 'soft-delete');
      case 'callback':
        return this.#runCallback(marker, current, (record.failure?.attempts ?? 0) + 1, options, report);
    }
  }

  /**
   * The fast path of `hard-delete`: remove the record without reading it, by `If-Match` on the
   * marker id — the ETag of the version the marker was written for, which expired at the marker's
   * time. The store refuses if the record is any other version (touched, rewritten, claimed, a
   * tombstone, or a store whose ETags are not MD5s); then the caller reads it and decides.
   */
  async #removeUnread(marker: DueMarker, options: SweepOptions, report: SweepReport): Promise<boolean> {
    throwIfAborted(options.signal);
    if (this.#context.conditionalDelete) {
      if (!(await this.#records.deleteIfMatch(marker.recordKey, marker.markerId, options.signal))) return false;
    } else {
      const predicted: VersionedRecord = {
        record: {
          format: TTL_RECORD_FORMAT,
          key: marker.recordKey,
          value: null, // not read: the tombstone of a hard-deleted record needs no value
          expiresAt: marker.sweepAt,
          state: 'live',
          version: '',
          marker: { sweepAt: marker.sweepAt, granularity: marker.granularity },
          updatedAt: 0,
          leaderEpoch: 0,
          claim: null,
          tombstone: null,
          failure: null,
        },
        etag: marker.markerId,
        markerId: marker.markerId,
      };
      const written = await this.#removal.tombstone(predicted, { epoch: options.epoch, reason: 'expired', archive: false }, options.signal);
      if (written === undefined) return false;
      if ((await this.#removal.deleteTombstone(marker.recordKey, written)) === 'left') {
        report.deferred += 1;
        return true;
      }
    }
    this.#finish(marker, marker.recordKey, marker.sweepAt, report, 'hard-delete');
    return true;
  }

  /** Removes the record (archiving it first if asked), then its marker. */
  async #remove(marker: DueMarker, current: VersionedRecord, options: SweepOptions, report: SweepReport, archive: boolean, countAs: ExpiryStrategy | undefined, signal: AbortSignal | undefined): Promise<Step> {
    const tombstone = { epoch: options.epoch, reason: 'expired' as const, archive };
    if (this.#context.conditionalDelete) {
      const archiveKey = archive ? await this.#archive(current.record, signal) : undefined;
      if (!(await this.#records.deleteIfMatch(current.record.key, current.etag, signal))) {
        // Rewritten since read: the copy is of a version that lives on.
        if (archiveKey !== undefined) await this.#counting.delete(archiveKey);
        return 'lost';
      }
    } else {
      const written = await this.#removal.tombstone(current, tombstone, signal);
      if (written === undefined) return 'lost';
      if (archive) await this.#archive(current.record);
      if ((await this.#removal.deleteTombstone(current.record.key, written)) === 'left') {
        report.deferred += 1;
        return 'done';
      }
    }
    this.#finish(marker, current.record.key, current.record.expiresAt, report, countAs);
    return 'done';
  }

  async #softDelete(marker: DueMarker, current: VersionedRecord, epoch: number, signal: AbortSignal | undefined, report: SweepReport, countAs: ExpiryStrategy): Promise<Step> {
    const softDeleted = this.#context.rewrite(current.record, { state: 'soft-deleted', marker: null, claim: null, leaderEpoch: Math.max(current.record.leaderEpoch, epoch) });
    if ((await this.#records.replace(softDeleted, current.etag, signal)).kind === 'lost') return 'lost';
    this.#finish(marker, current.record.key, current.record.expiresAt, report, countAs);
    return 'done';
  }

  #finish(marker: DueMarker, recordKey: string, expiresAt: number | null, report: SweepReport, countAs: ExpiryStrategy | undefined): void {
    this.#observations.delete(recordKey);
    // Deleted with the page's batch, without the signal: the record's fate is sealed, and a marker
    // left behind would only cost a re-read.
    this.#markersToDelete.push(marker.key);
    if (countAs === undefined) {
      report.staleMarkers += 1;
      return;
    }
    report.expired += 1;
    this.#metrics.expired(countAs, this.#context.wallNow() - (expiresAt ?? 0));
  }

  async #archive(record: TTLRecord, signal?: AbortSignal): Promise<string> {
    const { keys, options } = this.#context;
    const key = keys.archive(options.archivePrefix, record.key, record.expiresAt ?? 0, record.version);
    const body = JSON.stringify({ format: 'baton.ttl.archive/1', key: record.key, value: record.value, expiresAt: record.expiresAt, version: record.version, archivedAt: this.#context.wallNow() });
    await this.#counting.put(key, body, { contentType: 'application/json', ...(signal === undefined ? {} : { signal }) });
    return key;
  }

  /**
   * The callback strategy: claim the record (compare-and-swap), call the user's function, and
   * apply its decision by compare-and-swap on the claim's ETag. While the callback runs, the claim
   * is renewed (see {@link ClaimRenewal}), so a callback slower than `callbackTimeoutMs` is not
   * taken over while its claimer leads; the callback's signal aborts when leadership or the claim
   * is lost. The decision is applied even if leadership was lost meanwhile: the claim is still
   * ours unless the record changed, and a new leader leaves a claim alone for `callbackTimeoutMs`
   * after its last renewal.
   */
  async #runCallback(marker: DueMarker, current: VersionedRecord, attempt: number, options: SweepOptions, report: SweepReport): Promise<Step> {
    const context = this.#context;
    const settings = context.options;
    const record = current.record;
    const token = context.token();
    const claimed = context.rewrite(record, {
      state: 'claimed',
      claim: { token, epoch: options.epoch, claimedAt: context.wallNow(), attempt },
      // The marker stays until the decision is applied: the claim names it.
      marker: { sweepAt: marker.sweepAt, granularity: marker.granularity, id: marker.markerId },
      leaderEpoch: Math.max(record.leaderEpoch, options.epoch),
    });
    const claim = await this.#records.replace(claimed, current.etag, options.signal);
    if (claim.kind === 'lost') return 'lost';
    this.#ownClaims.add(token);
    const renewal = new ClaimRenewal(context, this.#records, claim.current, options.signal);
    try {
      let decision: ExpiryDecision | Error;
      try {
        const signal = options.signal === undefined ? renewal.signal : AbortSignal.any([options.signal, renewal.signal]);
        decision = validateDecision(
          await (settings.onExpire as NonNullable<typeof settings.onExpire>)({ key: record.key, value: record.value, expiresAt: record.expiresAt ?? 0, attempt }, { epoch: options.epoch, signal }),
        );
      } catch (error) {
        decision = error instanceof Error ? error : new Error(String(error));
      }
      const held = await renewal.stop();
      return await this.#applyDecision(marker, held, decision, attempt, options, report);
    } finally {
      await renewal.stop();
      this.#ownClaims.delete(token);
    }
  }

  async #applyDecision(marker: DueMarker, held: VersionedRecord, decision: ExpiryDecision | Error, attempt: number, options: SweepOptions, report: SweepReport): Promise<Step> {
    const context = this.#context;
    const settings = context.options;
    const record = held.record;
    const unclaimed = { claim: null, leaderEpoch: record.leaderEpoch };
    // Applied without the leadership signal: see #runCallback.
    if (decision instanceof Error) {
      report.callbackErrors += 1;
      this.#metrics.callbackError();
      const retryAt = context.wallNow() + Math.min(settings.callbackRetryMaxMs, settings.callbackRetryBaseMs * 2 ** Math.max(0, attempt - 1));
      settings.logger.error({ recordKey: record.key, attempt, error: decision }, `[ttl:${settings.collection}] expiry callback for ${JSON.stringify(record.key)} failed (attempt ${attempt}), retried at ${new Date(retryAt).toISOString()}: ${decision.message}`);
      const failed = context.rewrite(record, { ...unclaimed, state: 'live', marker: context.newMarker(retryAt), failure: { attempts: attempt, lastError: { name: decision.name, message: decision.message }, retryAt } });
      await this.#records.putMarker(context.markerKeyFor(failed) as string);
      if ((await this.#records.replace(failed, held.etag)).kind === 'lost') return 'lost';
      this.#markersToDelete.push(marker.key);
      return 'done';
    }
    if (decision === 'delete') return this.#remove(marker, held, options, report, false, 'callback', undefined);
    if (decision === 'soft-delete') return this.#softDelete(marker, held, options.epoch, undefined, report, 'callback');
    if (decision === 'keep') {
      const kept = context.rewrite(record, { ...unclaimed, state: 'live', expiresAt: null, marker: null, failure: null });
      if ((await this.#records.replace(kept, held.etag)).kind === 'lost') return 'lost';
      this.#finish(marker, record.key, record.expiresAt, report, 'callback');
      return 'done';
    }
    const expiresAt = context.wallNow() + decision.extendMs;
    const extended = context.rewrite(record, { ...unclaimed, state: 'live', expiresAt, marker: context.newMarker(expiresAt), failure: null });
    await this.#records.putMarker(context.markerKeyFor(extended) as string);
    if ((await this.#records.replace(extended, held.etag)).kind === 'lost') return 'lost';
    this.#observations.delete(record.key);
    this.#markersToDelete.push(marker.key);
    return 'done';
  }

  /** Whether this process has seen the record at `etag` for at least `durationMs` (monotonic): the lease rule. */
  #observedFor(recordKey: string, etag: string, durationMs: number): boolean {
    const now = this.#context.monotonicNow();
    const observation = this.#observations.get(recordKey);
    if (observation?.etag !== etag) {
      this.#observations.set(recordKey, { etag, firstSeenAt: now });
      return false;
    }
    return now - observation.firstSeenAt >= durationMs;
  }

  #checkEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 1) throw new InvalidTTLOptionsError('epoch', epoch, 'a sweep needs the leadership epoch, a positive integer');
    this.#fence.admit(epoch);
  }
  #checkRecordEpoch(record: TTLRecord, epoch: number): void {
    this.#fence.checkRecord(record.leaderEpoch, epoch);
  }
}

function validateDecision(decision: unknown): ExpiryDecision | Error {
  if (decision === 'delete' || decision === 'soft-delete' || decision === 'keep') return decision;
  if (typeof decision === 'object' && decision !== null) {
    const { extendMs } = decision as { extendMs?: unknown };
    if (typeof extendMs === 'number' && Number.isSafeInteger(extendMs) && extendMs > 0) return { extendMs };
  }
  return new TypeError(`the expiry callback returned ${typeof decision === 'object' || typeof decision === 'string' ? JSON.stringify(decision) : typeof decision}; return 'delete', 'soft-delete', 'keep' or { extendMs: <positive integer> }`);
}
