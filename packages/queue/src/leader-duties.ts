import { EpochFence } from '@baton/plugin';
import { bytesToText, listPages, type ListEntry } from '@baton/storage';
import { reportCorruptRecord } from './corrupt-records';
import { CorruptRecordError, StaleEpochError, InvalidQueueOptionsError } from './errors';
import type { JobRecord } from './job-record';
import { takeFinishedJobs } from './finished-journal';
import type { VersionedJob } from './job-store';
import { failJob, markPurging, promoteJob } from './job-transitions';
import type { QueueContext } from './queue-context';

/** What every leader duty takes. */
export interface LeaderDutyOptions {
  /** The caller's leadership epoch (fencing token): a positive integer. */
  epoch: number;
  /** Aborts the pass (pass the coordinator's leadership signal). */
  signal?: AbortSignal;
}

/** What {@link LeaderDuties.recoverExpiredClaims} did. */
export interface RecoveryReport {
  /** Job records listed. */
  scanned: number;
  /** Jobs whose claim expired and which are ready (or delayed) again. */
  recovered: string[];
  /** Jobs whose expired claim was their last attempt: now dead. */
  dead: string[];
  /** Index markers (re)written for records stable for a visibility timeout, in case their writer stopped before writing it. */
  ensuredMarkers: number;
  /** Records skipped because they are not jobs (see the `record:corrupt` event); each is reported once per version. */
  corrupt: number;
}

/** What {@link LeaderDuties.promoteDueJobs} did. */
export interface PromotionReport {
  /** Jobs moved from delayed to ready. */
  promoted: string[];
  /** Stale delayed markers deleted. */
  staleMarkers: number;
  /** Delayed markers set aside because their record is not a job (see the `record:corrupt` event). */
  corrupt: number;
}

/** What {@link LeaderDuties.purgeFinished} did. */
export interface PurgeReport {
  /** Completed or dead jobs deleted after their retention period. */
  purged: string[];
  /** Expired idempotency records deleted. */
  idempotencyRecords: number;
}

interface Observation {
  /** The ETag last seen; the wait restarts whenever it changes. */
  etag: string;
  /** Monotonic time the version was first seen (after the read returned). */
  firstSeenAt: number;
  /** The record, once read, for this ETag. */
  record?: JobRecord;
  /** For a record the journal says a worker completed at this ETag: its `finishedAt` (no read needed). */
  completedAt?: number;
  /** Whether its marker was already ensured for this ETag. */
  repaired?: boolean;
  /** Whether this version is not a job (reported once, then skipped until it changes). */
  corrupt?: boolean;
}

/**
 * The leader-only duties. Each is a plain method taking the caller's epoch and an AbortSignal;
 * none needs to be the only caller for safety (every change is a compare-and-swap), but running
 * them on one process avoids duplicated work.
 *
 * Claim expiry follows the lease rule: a record is judged expired only after this process has
 * OBSERVED the same ETag for the visibility timeout on its own monotonic clock. Wall clocks are
 * never compared between hosts for it.
 */
// A stable record with a ready or delayed marker is read anyway after this many visibility timeouts.
const WAITING_RECHECK_TIMEOUTS = 3;

export class LeaderDuties {
  readonly #context: QueueContext;
  readonly #observations = new Map<string, Observation>();
  readonly #idempotencyExpiry = new Map<string, { etag: string; expiresAt: number }>();
  // Completed versions learnt from the journal (job id → ETag and finishedAt), until their
  // record is next examined.
  readonly #completed = new Map<string, { etag: string; finishedAt: number }>();
  readonly #fence = new EpochFence((epoch, highestEpoch) => new StaleEpochError(epoch, highestEpoch));

  constructor(context: QueueContext) {
    this.#context = context;
  }

  /**
   * One pass over the job records (a LIST of `jobs/`; records are read only once they have been
   * stable for the visibility timeout). Takes back active jobs whose record has not changed for
   * the visibility timeout (the claim's own timeout if longer): ready again at once, or dead if
   * that was the last attempt. Also re-creates missing index markers of stable records. Call it
   * at least every half visibility timeout while leading.
   */
  async recoverExpiredClaims(options: LeaderDutyOptions): Promise<RecoveryReport> {
    this.#checkEpoch(options.epoch);
    const report: RecoveryReport = { scanned: 0, recovered: [], dead: [], ensuredMarkers: 0, corrupt: 0 };
    await this.#sweep(options, report);
    return report;
  }

  /**
   * Moves delayed jobs whose due time has passed to ready. Due times are wall-clock times set by
   * the enqueuer (or the failing worker); they are judged by THIS process's wall clock. A skewed
   * clock changes only when a job runs, never whether it runs twice (claims are compare-and-swap).
   */
  async promoteDueJobs(options: LeaderDutyOptions & { limit?: number }): Promise<PromotionReport> {
    this.#checkEpoch(options.epoch);
    const { keys, jobs, options: queueOptions } = this.#context;
    const limit = options.limit ?? 1000;
    const now = queueOptions.environment.clock.wallNow();
    const report: PromotionReport = { promoted: [], staleMarkers: 0, corrupt: 0 };
    for await (const page of listPages(jobs.store, { prefix: keys.delayedPrefix, limit: Math.min(limit, 1000), signal: options.signal })) {
      for (const entry of page.entries) {
        const dueAt = keys.dueAtFromDelayedMarker(entry.key);
        if (dueAt !== undefined && dueAt > now) return report; // keys are in due order: nothing further is due
        if (report.promoted.length >= limit) return report;
        const id = keys.jobIdFromMarker(entry.key);
        const current = await this.#readOrSetAside(id, entry.key, 'promoting delayed jobs', options.signal);
        if (current === 'corrupt') {
          report.corrupt += 1;
          continue;
        }
        if (current?.record.state === 'delayed' && keys.delayed(id, current.record.availableAt) === entry.key) {
          this.#checkRecordEpoch(current.record, options.epoch);
          const promoted = promoteJob(current.record, options.epoch);
          const outcome = await jobs.replace(promoted, current.etag, options.signal);
          if (outcome.kind === 'lost') continue; // changed meanwhile: the next pass looks again
          await jobs.putMarker(keys.ready(id, promoted.priority, promoted.availableAt), options.signal);
          await jobs.deleteMarker(entry.key, options.signal);
          report.promoted.push(id);
          this.#context.emit('job:promoted', { id });
        } else {
          if (current?.record.state === 'ready') {
            // Promoted by an earlier pass that stopped before writing the ready marker.
            await jobs.putMarker(keys.ready(id, current.record.priority, current.record.availableAt), options.signal);
          }
          await jobs.deleteMarker(entry.key, options.signal);
          report.staleMarkers += 1;
        }
      }
    }
    return report;
  }

  /**
   * Deletes completed jobs older than `completedRetentionMs` and dead ones older than
   * `deadRetentionMs` (by their `finishedAt` against this process's wall clock: it decides only
   * when a finished record disappears), and idempotency records past their window.
   */
  async purgeFinished(options: LeaderDutyOptions): Promise<PurgeReport> {
    this.#checkEpoch(options.epoch);
    const { keys, jobs, options: queueOptions } = this.#context;
    const store = jobs.store;
    const now = queueOptions.environment.clock.wallNow();
    await this.#sweep(options, { scanned: 0, recovered: [], dead: [], ensuredMarkers: 0, corrupt: 0 });
    const report: PurgeReport = { purged: [], idempotencyRecords: 0 };
    for (const [key, observation] of this.#observations) {
      const id = keys.jobIdFromKey(key);
      const record =
        observation.record ?? (observation.completedAt === undefined || id === undefined ? undefined : { id, state: 'completed' as const, finishedAt: observation.completedAt });
      if (record === undefined || record.finishedAt === null) continue;
      const retention = record.state === 'completed' ? queueOptions.completedRetentionMs : record.state === 'dead' ? queueOptions.deadRetentionMs : undefined;
      if (retention === undefined || record.finishedAt + retention > now) continue;
      // Conditional where the store enforces it. Otherwise the DELETE takes whatever version is
      // there: a completed record is never rewritten, but a dead one may be redriven at any
      // moment, so it is first claimed for the purge by a compare-and-swap that `redrive` respects.
      if (!store.capabilities.conditionalDelete && record.state === 'dead' && !(await this.#claimForPurge(key, observation, options))) continue;
      await store.delete(key, { signal: options.signal, ...(store.capabilities.conditionalDelete ? { ifMatch: observation.etag } : {}) });
      if (record.state === 'dead') await store.delete(keys.dead(record.id), { signal: options.signal });
      this.#observations.delete(key);
      report.purged.push(record.id);
    }
    for await (const page of listPages(store, { prefix: keys.idempotencyPrefix, signal: options.signal })) {
      for (const entry of page.entries) {
        const expiresAt = await this.#idempotencyExpiresAt(entry, options.signal);
        if (expiresAt === undefined || expiresAt > now) continue;
        await store.delete(entry.key, { signal: options.signal });
        this.#idempotencyExpiry.delete(entry.key);
        report.idempotencyRecords += 1;
      }
    }
    return report;
  }

  /** Marks the observed dead record as being purged; false (and forgotten) when it changed meanwhile. */
  async #claimForPurge(key: string, observation: Observation, options: LeaderDutyOptions): Promise<boolean> {
    const { jobs, options: queueOptions } = this.#context;
    const record = observation.record;
    if (record === undefined) return false;
    if (record.purgingAt !== undefined) return true; // an earlier purge stopped before its DELETE
    const outcome = await jobs.replace(markPurging(record, queueOptions.environment.clock.wallNow(), options.epoch), observation.etag, options.signal);
    if (outcome.kind === 'written') return true;
    this.#observations.delete(key); // redriven (or otherwise changed): the next pass looks again
    return false;
  }

  async #idempotencyExpiresAt(entry: ListEntry, signal: AbortSignal | undefined): Promise<number | undefined> {
    const known = this.#idempotencyExpiry.get(entry.key);
    if (known !== undefined && entry.etag !== undefined && known.etag === entry.etag) return known.expiresAt;
    const object = await this.#context.jobs.store.get(entry.key, { signal });
    if (object === undefined) return undefined;
    try {
      const { expiresAt } = JSON.parse(bytesToText(object.body)) as { expiresAt?: unknown };
      if (typeof expiresAt !== 'number') return undefined;
      this.#idempotencyExpiry.set(entry.key, { etag: object.etag, expiresAt });
      return expiresAt;
    } catch {
      return undefined;
    }
  }

  async #sweep(options: LeaderDutyOptions, report: RecoveryReport): Promise<void> {
    const { keys, jobs, options: queueOptions } = this.#context;
    const { clock } = queueOptions.environment;
    const seen = new Set<string>();
    const waiting = await this.#waitingJobIds(options.signal);
    const onForeign = (key: string, reason: string): void => {
      reportCorruptRecord(this.#context, new CorruptRecordError(key, reason), 'reading the completion journal');
      report.corrupt += 1;
    };
    for (const job of await takeFinishedJobs(jobs.store, keys, options.signal, onForeign)) this.#completed.set(job.id, { etag: job.etag, finishedAt: job.finishedAt });
    for await (const page of listPages(jobs.store, { prefix: keys.jobsPrefix, signal: options.signal })) {
      const listedAt = clock.monotonicNow();
      for (const entry of page.entries) {
        const id = keys.jobIdFromKey(entry.key);
        if (id === undefined) continue;
        seen.add(entry.key);
        report.scanned += 1;
        try {
          await this.#examine(entry, id, listedAt, waiting, options, report);
        } catch (error) {
          // A record that is not a job costs only itself: the sweep goes on with the others.
          if (!(error instanceof CorruptRecordError)) throw error;
          this.#setAsideCorrupt(entry.key, error, report);
        }
      }
    }
    for (const key of this.#observations.keys()) if (!seen.has(key)) this.#observations.delete(key);
    for (const id of this.#completed.keys()) if (!seen.has(keys.job(id))) this.#completed.delete(id);
  }

  /**
   * The ids of jobs with a ready or delayed marker: O(waiting jobs / 1000) LISTs. A stable record
   * with a marker is waiting, not held by a crashed worker, and needs no repair: the sweep does not
   * read it. (A claimed job whose marker lingers is found by the workers, whose stale-marker rule
   * deletes it; the next sweep then reads the record.)
   */
  async #waitingJobIds(signal: AbortSignal | undefined): Promise<Set<string>> {
    const { keys, jobs } = this.#context;
    const ids = new Set<string>();
    for (const prefix of [keys.readyPrefix, keys.delayedPrefix]) {
      for await (const page of listPages(jobs.store, { prefix, signal })) for (const entry of page.entries) ids.add(keys.jobIdFromMarker(entry.key));
    }
    return ids;
  }

  async #examine(entry: ListEntry, id: string, listedAt: number, waiting: ReadonlySet<string>, options: LeaderDutyOptions, report: RecoveryReport): Promise<void> {
    const { keys, jobs, options: queueOptions } = this.#context;
    const { clock } = queueOptions.environment;
    let observation = this.#observations.get(entry.key);
    let etag = entry.etag;
    let record: JobRecord | undefined;
    if (etag === undefined) {
      // This store reports no ETags in its listings: read the record to observe its version.
      const current = await jobs.read(id, options.signal);
      if (current === undefined) return;
      etag = current.etag;
      record = current.record;
    }
    const seenAt = record === undefined ? listedAt : clock.monotonicNow();
    if (observation?.etag !== etag) {
      observation = { etag, firstSeenAt: seenAt, ...(record === undefined ? {} : { record }) };
      this.#observations.set(entry.key, observation);
      return;
    }
    if (record !== undefined) observation.record = record;
    if (observation.corrupt === true) return;
    const stableFor = seenAt - observation.firstSeenAt;
    if (stableFor < queueOptions.visibilityTimeoutMs) return;
    observation.record ??= jobs.ownWrite(id, observation.etag);
    const completed = this.#completed.get(id);
    if (completed !== undefined) {
      this.#completed.delete(id);
      if (completed.etag === observation.etag) observation.completedAt = completed.finishedAt;
    }
    // Completed by a worker, as its journal says: nothing to recover or repair, and purge needs only the time.
    if (observation.record === undefined && observation.completedAt !== undefined) return;
    // Waiting (see #waitingJobIds) — checked by a read all the same once stable for a few
    // visibility timeouts, in case no worker is left to remove a crashed claimer's marker.
    if (observation.record === undefined && waiting.has(id) && stableFor < WAITING_RECHECK_TIMEOUTS * queueOptions.visibilityTimeoutMs) return;
    if (observation.record === undefined) {
      const current = await jobs.read(id, options.signal);
      if (current === undefined) return;
      if (current.etag !== observation.etag) {
        this.#observations.set(entry.key, { etag: current.etag, firstSeenAt: clock.monotonicNow(), record: current.record });
        return;
      }
      observation.record = current.record;
    }
    const stable = observation.record;
    this.#checkRecordEpoch(stable, options.epoch);
    if (stable.state === 'active') {
      const wait = Math.max(queueOptions.visibilityTimeoutMs, stable.claim?.visibilityTimeoutMs ?? 0);
      if (stableFor < wait) return;
      await this.#expire(entry.key, observation, stable, options, report);
      return;
    }
    if (observation.repaired === true) return;
    observation.repaired = true;
    // A stable record whose marker may be missing (its writer stopped between the record and the
    // marker): writing the marker again is harmless, and makes the job findable.
    const marker =
      stable.state === 'ready' ? keys.ready(id, stable.priority, stable.availableAt) : stable.state === 'delayed' ? keys.delayed(id, stable.availableAt) : stable.state === 'dead' ? keys.dead(id) : undefined;
    if (marker === undefined) return;
    await jobs.putMarker(marker, options.signal);
    report.ensuredMarkers += 1;
  }

  async #expire(key: string, observation: Observation, stable: JobRecord, options: LeaderDutyOptions, report: RecoveryReport): Promise<void> {
    const { keys, jobs, options: queueOptions } = this.#context;
    const now = queueOptions.environment.clock.wallNow();
    const claim = stable.claim;
    const expired = failJob(stable, {
      outcome: 'expired',
      error: { name: 'ClaimExpired', message: `no heartbeat from worker ${claim?.worker ?? 'unknown'} for the visibility timeout (observed by ${queueOptions.workerId})` },
      writer: queueOptions.workerId,
      now,
      retryAt: now,
      leaderEpoch: options.epoch,
    });
    const outcome = await jobs.replace(expired, observation.etag, options.signal);
    this.#observations.delete(key);
    if (outcome.kind === 'lost') return; // the worker was alive after all (or someone else acted)
    await jobs.putMarker(expired.state === 'dead' ? keys.dead(stable.id) : keys.ready(stable.id, expired.priority, expired.availableAt), options.signal);
    queueOptions.logger.info({ jobId: stable.id, attempt: stable.attempt, worker: claim?.worker, dead: expired.state === 'dead' }, 'claim expired: job taken back');
    this.#context.emit('job:expired', { id: stable.id, attempt: stable.attempt, worker: claim?.worker ?? 'unknown', dead: expired.state === 'dead' });
    if (expired.state === 'dead') {
      report.dead.push(stable.id);
      this.#context.emit('job:dead', { id: stable.id, attempt: stable.attempt, error: expired.lastError ?? { name: 'ClaimExpired', message: 'claim expired' } });
    } else {
      report.recovered.push(stable.id);
    }
  }

  /** Reads a job for a marker; a record that is not a job has the marker deleted and is reported. */
  async #readOrSetAside(id: string, marker: string, where: string, signal: AbortSignal | undefined): Promise<VersionedJob | undefined | 'corrupt'> {
    try {
      return await this.#context.jobs.read(id, signal);
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error;
      await this.#context.jobs.deleteMarker(marker, signal);
      reportCorruptRecord(this.#context, error, where);
      return 'corrupt';
    }
  }

  /** Remembers that the observed version of `key` is not a job, so that it is reported once. */
  #setAsideCorrupt(key: string, error: CorruptRecordError, report: RecoveryReport): void {
    const observation = this.#observations.get(key);
    if (observation?.corrupt === true) return;
    if (observation !== undefined) {
      observation.corrupt = true;
      delete observation.record;
    }
    reportCorruptRecord(this.#context, error, 'recovering expired claims', observation?.etag);
    report.corrupt += 1;
  }

  #checkEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 1) throw new InvalidQueueOptionsError('epoch', epoch, 'leader duties need the leadership epoch, a positive integer');
    this.#fence.admit(epoch);
  }
  #checkRecordEpoch(record: JobRecord, epoch: number): void {
    this.#fence.checkRecord(record.leaderEpoch, epoch);
  }
}
