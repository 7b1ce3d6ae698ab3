import { InvalidJobOptionsError, InvalidQueueOptionsError } from './errors';
import { MAX_PRIORITY } from './queue-keys';
import { assertKnownOptions } from './known-options';

/** Options of one job, given to `enqueue`. All optional. */
export interface EnqueueOptions {
  /** Run no earlier than this many ms from now (enqueuer's wall clock). Not with `runAt`. */
  delayMs?: number;
  /** Run no earlier than this wall-clock time (a `Date` or ms since the epoch). Not with `delayMs`. */
  runAt?: Date | number;
  /** An integer from 0 (default, lowest) to 999: higher-priority ready jobs are claimed first. */
  priority?: number;
  /**
   * Dedupes enqueues: within the queue's `idempotencyWindowMs`, enqueueing again with the same key
   * returns the first job's id and writes nothing new. 1 to 256 characters.
   */
  idempotencyKey?: string;
  /** Attempts before the job is dead-lettered: an integer from 1 to 100. Default: the queue's `defaultMaxAttempts` (3). */
  maxAttempts?: number;
  /** How long one attempt may run before its signal aborts and it counts as failed, in ms. Default: no limit. */
  timeoutMs?: number;
}

/** Validated job options, with the time the job becomes available resolved. */
export interface ResolvedEnqueueOptions {
  /** Wall-clock ms from which the job may run. */
  availableAt: number;
  /** Whether it waits in the delayed index first. */
  delayed: boolean;
  /** 0..999. */
  priority: number;
  /** The idempotency key, if any. */
  idempotencyKey: string | null;
  /** 1..100. */
  maxAttempts: number;
  /** Per-attempt limit, or null. */
  timeoutMs: number | null;
}

/** The most attempts a job may be given. */
export const MAX_ATTEMPTS_LIMIT = 100;
/** The longest idempotency key, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof EnqueueOptions>(['delayMs', 'runAt', 'priority', 'idempotencyKey', 'maxAttempts', 'timeoutMs']);

/**
 * Validates enqueue options before anything is written.
 *
 * @throws {InvalidJobOptionsError} naming the first invalid option.
 */
export function resolveEnqueueOptions(options: EnqueueOptions | undefined, now: number, defaultMaxAttempts: number): ResolvedEnqueueOptions {
  if (options === undefined) return { availableAt: now, delayed: false, priority: 0, idempotencyKey: null, maxAttempts: defaultMaxAttempts, timeoutMs: null };
  if (typeof options !== 'object' || (options as unknown) === null) throw new InvalidJobOptionsError('options', options, 'must be an object or undefined');
  assertKnownOptions(options, KNOWN_OPTIONS, (option, value, reason) => new InvalidJobOptionsError(option, value, reason));
  const { delayMs, runAt, priority = 0, idempotencyKey, maxAttempts = defaultMaxAttempts, timeoutMs } = options;
  if (delayMs !== undefined && runAt !== undefined) throw new InvalidJobOptionsError('delayMs', delayMs, 'give delayMs or runAt, not both');
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) throw new InvalidJobOptionsError('delayMs', delayMs, 'must be a finite number >= 0');
  let runAtMs: number | undefined;
  if (runAt !== undefined) {
    runAtMs = runAt instanceof Date ? runAt.getTime() : runAt;
    if (typeof runAtMs !== 'number' || !Number.isFinite(runAtMs) || runAtMs < 0) throw new InvalidJobOptionsError('runAt', runAt, 'must be a valid Date or ms since the Unix epoch');
  }
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) throw new InvalidJobOptionsError('priority', priority, `must be an integer from 0 to ${MAX_PRIORITY} (higher runs first)`);
  if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw new InvalidJobOptionsError('idempotencyKey', idempotencyKey, `must be a string of 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) throw new InvalidJobOptionsError('maxAttempts', maxAttempts, `must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}`);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs >= 1)) throw new InvalidJobOptionsError('timeoutMs', timeoutMs, 'must be an integer >= 1 (ms)');
  const availableAt = runAtMs ?? now + (delayMs ?? 0);
  return {
    availableAt: Math.floor(availableAt),
    delayed: availableAt > now,
    priority,
    idempotencyKey: idempotencyKey ?? null,
    maxAttempts,
    timeoutMs: timeoutMs ?? null,
  };
}

/** Checks a duration option of the queue or processor: an integer within bounds. */
export function assertDuration(option: string, value: number, minimum: number, maximum = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < minimum || value > maximum) {
    throw new InvalidQueueOptionsError(option, value, `must be an integer from ${minimum} to ${maximum}`);
  }
}
