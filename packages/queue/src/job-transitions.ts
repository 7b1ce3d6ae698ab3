import type { AttemptRecord, ClaimRecord, JobRecord, RecordedError } from './job-record';
import type { JsonValue } from './json-value';

/**
 * Every change a job record goes through, as pure functions. Each returns a new record with
 * `revision + 1`, so that every write changes the bytes and therefore the ETag — which is what
 * lets observers judge a claim alive or expired.
 */

/** ready → active: a worker's claim. */
export function claimJob(record: JobRecord, claim: ClaimRecord): JobRecord {
  return { ...record, state: 'active', attempt: record.attempt + 1, claim, revision: record.revision + 1 };
}

/** active → active: a heartbeat that keeps the claim visible as alive. */
export function heartbeatJob(record: JobRecord): JobRecord {
  const claim = record.claim as ClaimRecord;
  return { ...record, claim: { ...claim, heartbeats: claim.heartbeats + 1 }, revision: record.revision + 1 };
}

/** active → completed. */
export function completeJob(record: JobRecord, result: JsonValue, now: number): JobRecord {
  return { ...record, state: 'completed', claim: null, result, finishedAt: now, revision: record.revision + 1 };
}

/**
 * active → delayed (a retry, due at `retryAt`) or dead (attempts used up). `outcome` says why
 * the attempt ended; `writer` is who records it (the worker, or the leader for expiries).
 */
export function failJob(
  record: JobRecord,
  failure: { outcome: AttemptRecord['outcome']; error: RecordedError; writer: string; now: number; retryAt: number; leaderEpoch?: number },
): JobRecord {
  const claim = record.claim as ClaimRecord;
  const attempt: AttemptRecord = {
    attempt: record.attempt,
    outcome: failure.outcome,
    worker: claim.worker,
    claimedAt: claim.claimedAt,
    endedAt: failure.now,
    error: failure.error,
  };
  const history = [...record.history, attempt];
  const base = { ...record, claim: null, history, revision: record.revision + 1, leaderEpoch: Math.max(record.leaderEpoch, failure.leaderEpoch ?? 0) };
  if (record.attempt >= record.maxAttempts) return { ...base, state: 'dead', finishedAt: failure.now, lastError: failure.error };
  // A retry due now (no backoff, or an expired claim) is ready at once; otherwise it waits in the delayed index.
  return { ...base, state: failure.retryAt <= failure.now ? 'ready' : 'delayed', availableAt: failure.retryAt };
}

/** active → ready, at once, without using up the attempt: a graceful release at shutdown. */
export function releaseJob(record: JobRecord, now: number): JobRecord {
  const claim = record.claim as ClaimRecord;
  const released: AttemptRecord = { attempt: record.attempt, outcome: 'released', worker: claim.worker, claimedAt: claim.claimedAt, endedAt: now };
  return {
    ...record,
    state: 'ready',
    attempt: record.attempt - 1,
    claim: null,
    availableAt: now,
    history: [...record.history, released],
    revision: record.revision + 1,
  };
}

/** delayed → ready: the due time has passed (judged by the promoting leader's wall clock). */
export function promoteJob(record: JobRecord, leaderEpoch: number): JobRecord {
  return { ...record, state: 'ready', revision: record.revision + 1, leaderEpoch: Math.max(record.leaderEpoch, leaderEpoch) };
}

/** dead → ready with fresh attempts: a redrive. The history is kept. */
export function redriveJob(record: JobRecord, now: number): JobRecord {
  return { ...record, state: 'ready', attempt: 0, availableAt: now, finishedAt: null, lastError: null, revision: record.revision + 1 };
}

/**
 * dead → dead, claimed for the leader's purge (see {@link JobRecord.purgingAt}): nothing rewrites
 * the record after this, so that an unconditional DELETE of it deletes exactly this version.
 */
export function markPurging(record: JobRecord, now: number, leaderEpoch: number): JobRecord {
  return { ...record, purgingAt: now, revision: record.revision + 1, leaderEpoch: Math.max(record.leaderEpoch, leaderEpoch) };
}
