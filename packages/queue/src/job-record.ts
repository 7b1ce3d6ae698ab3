import { isEpochInDomain, MAX_EPOCH } from '@baton/plugin';
import { bytesToText } from '@baton/storage';
import { CorruptRecordError } from './errors';
import type { JsonValue } from './json-value';

/** The format tag written into every job record. */
export const JOB_RECORD_FORMAT = 'baton.queue.job/1';

/** The states a job moves through. */
export type JobState = 'ready' | 'delayed' | 'active' | 'completed' | 'dead';

/** An error as kept in a job's history: plain data, bounded in size. */
export interface RecordedError {
  /** The error's `name` (or `typeof` for a non-Error throw). */
  name: string;
  /** The message, at most 2000 characters. */
  message: string;
  /** The stack, at most 4000 characters, when there was one. */
  stack?: string;
}

/** One finished attempt. */
export interface AttemptRecord {
  /** Which attempt (1-based). */
  attempt: number;
  /** How it ended. `expired`: its visibility lease was judged expired (the worker crashed or stalled). */
  outcome: 'failed' | 'timed-out' | 'expired' | 'released';
  /** The worker that ran it. */
  worker: string;
  /** Wall-clock time the attempt was claimed (the claimer's clock; for people). */
  claimedAt: number;
  /** Wall-clock time it ended (the writer's clock; for people). */
  endedAt: number;
  /** The error, for failures. */
  error?: RecordedError;
}

/** The claim a worker holds on an active job. */
export interface ClaimRecord {
  /** Random token naming this claim: whoever finds it in the record after an unknown outcome won. */
  token: string;
  /** The claiming worker's id. */
  worker: string;
  /** Wall-clock claim time (for people). */
  claimedAt: number;
  /** The visibility timeout the claimer keeps the claim alive for, in ms. */
  visibilityTimeoutMs: number;
  /** Heartbeats written so far: each one changes the record's bytes, and so its ETag. */
  heartbeats: number;
}

/** A job record as stored at `jobs/<id>.json`. */
export interface JobRecord {
  /** {@link JOB_RECORD_FORMAT}. */
  format: typeof JOB_RECORD_FORMAT;
  /** The job id. */
  id: string;
  /** The queue name. */
  queue: string;
  /** Current state. */
  state: JobState;
  /** The payload. */
  data: JsonValue;
  /** 0..999, higher runs first. */
  priority: number;
  /** Attempts claimed so far (the running one included). */
  attempt: number;
  /** Attempts allowed before the job is dead-lettered. */
  maxAttempts: number;
  /** How long one attempt may run before its signal aborts, or `null` for no limit. */
  timeoutMs: number | null;
  /** The idempotency key it was enqueued with. */
  idempotencyKey: string | null;
  /** Wall-clock enqueue time (enqueuer's clock). */
  enqueuedAt: number;
  /** Wall-clock time from which it may run: enqueue time, or the due time of a delay or retry. */
  availableAt: number;
  /** The claim, while active. */
  claim: ClaimRecord | null;
  /** Finished attempts. */
  history: AttemptRecord[];
  /** The handler's result, once completed. */
  result: JsonValue;
  /** Wall-clock time it completed or died (the writer's clock), or `null`. */
  finishedAt: number | null;
  /** The last error, when dead. */
  lastError: RecordedError | null;
  /** Increments on every write, so that every write changes the bytes (and the ETag). */
  revision: number;
  /** The highest leader epoch that wrote this record (0 when no leader duty has). */
  leaderEpoch: number;
  /**
   * Wall-clock time (the leader's clock) a leader claimed this dead record for its purge, on a
   * store without conditional DELETE: from then on nothing rewrites it (`redrive` skips it), so
   * that the purge's unconditional DELETE cannot remove a job redriven in the meantime. Absent
   * otherwise.
   */
  purgingAt?: number;
}

/** Encodes a record; the output is deterministic for a given record. */
export function encodeJobRecord(record: JobRecord): string {
  return JSON.stringify(record);
}

/**
 * Parses a stored job record.
 *
 * @throws {CorruptRecordError} when it is not one.
 */
export function parseJobRecord(key: string, body: Uint8Array): JobRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytesToText(body));
  } catch (error) {
    throw new CorruptRecordError(key, `not JSON (${(error as Error).message})`);
  }
  const candidate = parsed as Partial<JobRecord> | null;
  if (typeof candidate !== 'object' || candidate === null) throw new CorruptRecordError(key, 'not a JSON object');
  if (candidate.format !== JOB_RECORD_FORMAT) throw new CorruptRecordError(key, `format is ${JSON.stringify(candidate.format)}, expected ${JOB_RECORD_FORMAT}`);
  const problem = recordProblem(candidate);
  if (problem !== undefined) throw new CorruptRecordError(key, problem);
  return candidate as JobRecord;
}

const JOB_STATES: ReadonlySet<unknown> = new Set<JobState>(['ready', 'delayed', 'active', 'completed', 'dead']);
const ATTEMPT_OUTCOMES: ReadonlySet<unknown> = new Set<AttemptRecord['outcome']>(['failed', 'timed-out', 'expired', 'released']);

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isRecordedError = (value: unknown): boolean =>
  isObject(value) && typeof value.name === 'string' && typeof value.message === 'string' && (value.stack === undefined || typeof value.stack === 'string');

/** What is wrong with a parsed record's fields (types, and the claim matching the state), or undefined. */
function recordProblem(record: Record<string, unknown>): string | undefined {
  if (typeof record.id !== 'string' || typeof record.queue !== 'string') return 'id or queue is not a string';
  if (!JOB_STATES.has(record.state)) return `state ${JSON.stringify(record.state)} is not a job state`;
  const numbers = ['priority', 'attempt', 'maxAttempts', 'enqueuedAt', 'availableAt', 'revision', 'leaderEpoch'] as const;
  for (const field of numbers) if (!isNumber(record[field])) return `${field} is not a number`;
  // An epoch no term can have would fence every real leader out of this queue: the record is corrupt.
  if (!isEpochInDomain(record.leaderEpoch)) return `leaderEpoch ${String(record.leaderEpoch)} is outside the epoch domain 0..${MAX_EPOCH}`;
  if (record.timeoutMs !== null && !isNumber(record.timeoutMs)) return 'timeoutMs is neither a number nor null';
  if (record.finishedAt !== null && !isNumber(record.finishedAt)) return 'finishedAt is neither a number nor null';
  if (record.idempotencyKey !== null && typeof record.idempotencyKey !== 'string') return 'idempotencyKey is neither a string nor null';
  if (record.lastError !== null && !isRecordedError(record.lastError)) return 'lastError is neither an error nor null';
  if (record.purgingAt !== undefined && !isNumber(record.purgingAt)) return 'purgingAt is not a number';
  if (!('data' in record) || !('result' in record)) return 'data or result is missing';
  const history = record.history;
  if (!Array.isArray(history) || !history.every(isAttemptRecord)) return 'history is not a list of attempts';
  const state = record.state as JobState;
  if (state === 'active' ? !isClaimRecord(record.claim) : record.claim !== null) return `claim ${state === 'active' ? 'is not a claim' : 'is set'} in state ${state}`;
  return undefined;
}

function isAttemptRecord(value: unknown): boolean {
  return (
    isObject(value) &&
    isNumber(value.attempt) &&
    ATTEMPT_OUTCOMES.has(value.outcome) &&
    typeof value.worker === 'string' &&
    isNumber(value.claimedAt) &&
    isNumber(value.endedAt) &&
    (value.error === undefined || isRecordedError(value.error))
  );
}

function isClaimRecord(value: unknown): boolean {
  return isObject(value) && typeof value.token === 'string' && typeof value.worker === 'string' && isNumber(value.claimedAt) && isNumber(value.visibilityTimeoutMs) && isNumber(value.heartbeats);
}

/** Turns anything thrown into bounded plain data for the history. */
export function recordError(error: unknown): RecordedError {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: truncate(error.message, 2000),
      ...(error.stack === undefined ? {} : { stack: truncate(error.stack, 4000) }),
    };
  }
  let message: string;
  try {
    // JSON.stringify returns undefined (despite its type) for undefined and functions.
    const text: unknown = typeof error === 'string' ? error : Reflect.apply(JSON.stringify, JSON, [error]);
    message = typeof text === 'string' ? text : String(error);
  } catch {
    message = String(error);
  }
  return { name: typeof error, message: truncate(message, 2000) };
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
