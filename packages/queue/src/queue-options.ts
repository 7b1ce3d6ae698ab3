import type { ObjectStore } from '@baton/storage';
import { InvalidQueueOptionsError } from './errors';
import { assertDuration, MAX_ATTEMPTS_LIMIT } from './job-options';
import { assertKnownOptions } from './known-options';
import { silentLogger, systemEnvironment, type CoordinatorEnvironment, type Logger } from '@baton/plugin';

/** Options of a {@link Queue}. Only `store` is required. */
export interface QueueOptions {
  /** The shared store. It must enforce conditional writes (see `probeStorage`). */
  store: ObjectStore;
  /** The queue's name: 1 to 64 of `a-z 0-9 . _ -`. Default `default`. */
  name?: string;
  /** This process's id, written into claims and history. Default: random. */
  workerId?: string;
  /**
   * How long a claim may go without a heartbeat before the leader takes the job back, in ms.
   * Workers heartbeat every third of it. Default 30000; at least 100.
   */
  visibilityTimeoutMs?: number;
  /** How long an idle worker waits before looking for ready jobs again, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** How many ready markers a worker lists at once (its local candidate buffer). Default 128; 1..1000. */
  claimBatchSize?: number;
  /** The first retry's average delay, in ms; it doubles with each attempt (with jitter). Default 1000. */
  retryBaseDelayMs?: number;
  /** The longest retry delay, in ms. Default 300000 (5 minutes). */
  retryMaxDelayMs?: number;
  /** Attempts for jobs enqueued without `maxAttempts`. Default 3. */
  defaultMaxAttempts?: number;
  /** How long completed jobs (and their results) are kept before `purgeFinished` deletes them, in ms. Default 24 h. */
  completedRetentionMs?: number;
  /** How long dead jobs are kept before `purgeFinished` deletes them, in ms. Default 7 days. */
  deadRetentionMs?: number;
  /** How long an idempotency key dedupes enqueues, in ms. Default 24 h. At most `completedRetentionMs`. */
  idempotencyWindowMs?: number;
  /** Clock, timers and randomness. Default: the system's. */
  environment?: Partial<CoordinatorEnvironment>;
  /** A pino-shaped logger. Default: silent. */
  logger?: Logger;
}

/** {@link QueueOptions} with every default applied and validated. */
export interface ResolvedQueueOptions {
  store: ObjectStore;
  name: string;
  workerId: string;
  visibilityTimeoutMs: number;
  pollIntervalMs: number;
  claimBatchSize: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  defaultMaxAttempts: number;
  completedRetentionMs: number;
  deadRetentionMs: number;
  idempotencyWindowMs: number;
  environment: CoordinatorEnvironment;
  logger: Logger;
}

const HOUR = 3_600_000;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof QueueOptions>([
  'store',
  'name',
  'workerId',
  'visibilityTimeoutMs',
  'pollIntervalMs',
  'claimBatchSize',
  'retryBaseDelayMs',
  'retryMaxDelayMs',
  'defaultMaxAttempts',
  'completedRetentionMs',
  'deadRetentionMs',
  'idempotencyWindowMs',
  'environment',
  'logger',
]);

/**
 * Applies defaults and validates.
 *
 * @throws {InvalidQueueOptionsError} naming the first invalid (or unknown) option.
 */
export function resolveQueueOptions(options: QueueOptions): ResolvedQueueOptions {
  if (typeof options !== 'object' || (options as unknown) === null) throw new InvalidQueueOptionsError('options', options, 'must be an object with at least { store }');
  assertKnownOptions(options, KNOWN_OPTIONS, (option, value, reason) => new InvalidQueueOptionsError(option, value, reason));
  const store = options.store as ObjectStore | undefined;
  if (store === undefined || typeof store.put !== 'function') throw new InvalidQueueOptionsError('store', store, 'an ObjectStore is required');
  const name = options.name ?? 'default';
  assertQueueName(name);
  const environment: CoordinatorEnvironment = { ...systemEnvironment, ...options.environment };
  const workerId = options.workerId ?? `worker-${Math.floor(environment.random() * 36 ** 8).toString(36)}`;
  if (typeof workerId !== 'string' || workerId.length === 0 || workerId.length > 200) throw new InvalidQueueOptionsError('workerId', workerId, 'a string of 1 to 200 characters');
  const resolved: ResolvedQueueOptions = {
    store,
    name,
    workerId,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 30_000,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    claimBatchSize: options.claimBatchSize ?? 128,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 1000,
    retryMaxDelayMs: options.retryMaxDelayMs ?? 300_000,
    defaultMaxAttempts: options.defaultMaxAttempts ?? 3,
    completedRetentionMs: options.completedRetentionMs ?? 24 * HOUR,
    deadRetentionMs: options.deadRetentionMs ?? 7 * 24 * HOUR,
    idempotencyWindowMs: options.idempotencyWindowMs ?? 24 * HOUR,
    environment,
    logger: options.logger ?? silentLogger,
  };
  assertDuration('visibilityTimeoutMs', resolved.visibilityTimeoutMs, 100);
  assertDuration('pollIntervalMs', resolved.pollIntervalMs, 1);
  assertDuration('claimBatchSize', resolved.claimBatchSize, 1, 1000);
  assertDuration('retryBaseDelayMs', resolved.retryBaseDelayMs, 0);
  assertDuration('retryMaxDelayMs', resolved.retryMaxDelayMs, resolved.retryBaseDelayMs);
  assertDuration('defaultMaxAttempts', resolved.defaultMaxAttempts, 1, MAX_ATTEMPTS_LIMIT);
  assertDuration('completedRetentionMs', resolved.completedRetentionMs, 0);
  assertDuration('deadRetentionMs', resolved.deadRetentionMs, 0);
  assertDuration('idempotencyWindowMs', resolved.idempotencyWindowMs, 1);
  if (resolved.idempotencyWindowMs > resolved.completedRetentionMs) {
    // A purge within the window would forget the job the key names, and a duplicate would run.
    throw new InvalidQueueOptionsError('idempotencyWindowMs', resolved.idempotencyWindowMs, `must be at most completedRetentionMs (${resolved.completedRetentionMs})`);
  }
  return resolved;
}

/** Throws {@link InvalidQueueOptionsError} unless `name` is a valid queue name. */
export function assertQueueName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !/^[a-z0-9._-]{1,64}$/.test(name) || name === '.' || name === '..') {
    throw new InvalidQueueOptionsError('name', name, '1 to 64 characters of a-z 0-9 . _ - (and not "." or "..")');
  }
}

/** The delay before retrying after `attempt` failed: exponential, capped, with "equal jitter" (half fixed, half random). */
export function retryDelay(options: Pick<ResolvedQueueOptions, 'retryBaseDelayMs' | 'retryMaxDelayMs'>, attempt: number, random: () => number): number {
  const ceiling = Math.min(options.retryMaxDelayMs, options.retryBaseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}
