import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { bytesToText, listPages, writeConditionally, type ObjectStore } from '@baton/storage';
import { isAbortedBy } from './abort-reason';
import { CorruptObjectLog, randomToken } from '@baton/plugin';
import { InvalidJobOptionsError, JobNotFoundError } from './errors';
import { resolveEnqueueOptions, type EnqueueOptions } from './job-options';
import { JOB_RECORD_FORMAT, type JobRecord, type JobState } from './job-record';
import { JobStore } from './job-store';
import { redriveJob } from './job-transitions';
import { encodeJsonValue, type JsonValue } from './json-value';
import { LeaderDuties, type LeaderDutyOptions, type PromotionReport, type PurgeReport, type RecoveryReport } from './leader-duties';
import { Processor, type JobHandler, type ProcessOptions } from './processor';
import type { QueueContext } from './queue-context';
import type { QueueEventName, QueueEvents } from './queue-events';
import { QueueKeys } from './queue-keys';
import { resolveQueueOptions, type QueueOptions, type ResolvedQueueOptions } from './queue-options';

/** A job as returned by {@link Queue.getJob}: its record's public fields, and who holds it. */
export interface JobInfo
  extends Pick<
    JobRecord,
    'id' | 'state' | 'data' | 'priority' | 'attempt' | 'maxAttempts' | 'timeoutMs' | 'idempotencyKey' | 'enqueuedAt' | 'availableAt' | 'history' | 'result' | 'finishedAt' | 'lastError'
  > {
  /** The worker holding it, while active. */
  claimedBy: string | null;
}

/** Job counts by state, from {@link Queue.stats}. */
export interface QueueStats {
  /** Ready markers (may include a few stale ones that workers have not cleaned yet). */
  ready: number;
  /** Delayed markers (scheduled jobs and retries). */
  delayed: number;
  /** Dead-lettered jobs. */
  dead: number;
  /** Job records of every state. */
  total: number;
  /** Active jobs: exact only with `{ exact: true }`; otherwise `total - ready - delayed - dead - completed` is not derivable and this is null. */
  active: number | null;
  /** Completed jobs still retained: only with `{ exact: true }`, otherwise null. */
  completed: number | null;
}

/** One job for {@link Queue.enqueueMany}. */
export interface EnqueueItem {
  /** The payload: plain JSON, at most `MAX_JOB_DATA_BYTES` as JSON. */
  data: unknown;
  /** Its options. */
  options?: EnqueueOptions;
}

interface IdempotencyRecord {
  key: string;
  jobId: string;
  expiresAt: number;
}

// How long the ready marker of a claimed job may wait to be deleted in a batch with others (at
// most the poll interval): short, because other workers that list it spend a read to find it taken.
const MARKER_DELETE_DELAY_MS = 250;

/**
 * A durable job queue on object storage. Create one per process and queue name; every process
 * with the same store and name shares the queue.
 *
 * Delivery is **at-least-once**: a handler may run more than once for a job when a worker crashes
 * or stalls past the visibility timeout. **Claiming is exactly-once**: at any instant at most one
 * worker holds a job's claim, because a claim is a compare-and-swap on the job record, and a
 * stale claimer's every later write (heartbeat, result) is refused.
 */
export class Queue {
  readonly #context: QueueContext;
  readonly #emitter = new EventEmitter();
  readonly #leader: LeaderDuties;
  readonly #processors = new Set<Processor>();

  /**
   * @throws {InvalidQueueOptionsError} when an option is invalid.
   */
  constructor(options: QueueOptions) {
    const resolved = resolveQueueOptions(options);
    const keys = new QueueKeys(resolved.name);
    this.#context = {
      options: resolved,
      keys,
      jobs: new JobStore(resolved.store, keys, {
        environment: resolved.environment,
        markerBatchSize: resolved.claimBatchSize,
        markerDelayMs: Math.min(MARKER_DELETE_DELAY_MS, resolved.pollIntervalMs),
        // A few journal objects per visibility timeout: the leader reads them before it would
        // otherwise read the completed records themselves.
        journalDelayMs: Math.max(100, Math.floor(resolved.visibilityTimeoutMs / 6)),
        onBatchError: (error, context) => {
          resolved.logger.warn({ error, context }, `queue worker: ${context} failed; dropped (a hint: costs a read later)`);
          this.#context.emit('worker:error', { error, context });
        },
      }),
      emit: (name, payload) => {
        try {
          this.#emitter.emit(name, payload);
        } catch (error) {
          resolved.logger.error({ error, event: name }, 'a queue event listener threw; listeners must not throw');
        }
      },
      corruptRecords: new CorruptObjectLog({
        logger: resolved.logger,
        label: `queue ${resolved.name}`,
        onReport: ({ key, context, error }) => {
          this.#context.emit('record:corrupt', { key, context, error });
        },
      }),
    };
    this.#leader = new LeaderDuties(this.#context);
  }

  /** The queue's name. */
  get name(): string {
    return this.#context.options.name;
  }

  /** This process's worker id. */
  get workerId(): string {
    return this.#context.options.workerId;
  }

  /** The store. */
  get store(): ObjectStore {
    return this.#context.options.store;
  }

  /** The resolved options (read-only). */
  get options(): Readonly<ResolvedQueueOptions> {
    return this.#context.options;
  }

  /** Subscribes to an event. Returns a function that unsubscribes. */
  on<Name extends QueueEventName>(name: Name, listener: (payload: QueueEvents[Name]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  /**
   * Adds a job; resolves with its id once the job record and its index marker are written.
   * Costs 2 requests (3 with an idempotency key).
   *
   * @throws {InvalidJobDataError} / {JobDataTooLargeError} / {InvalidJobOptionsError} before anything is written.
   */
  async enqueue(data: unknown, options?: EnqueueOptions): Promise<string> {
    const [id] = await this.enqueueMany([{ data, ...(options === undefined ? {} : { options }) }]);
    return id as string;
  }

  /**
   * Adds several jobs; every item is validated before anything is written, so bad input writes
   * nothing. Jobs are then written concurrently (8 at a time); if a write fails, the jobs written
   * before it stay enqueued (retry with idempotency keys to make the retry safe).
   */
  async enqueueMany(items: readonly EnqueueItem[], signal?: AbortSignal): Promise<string[]> {
    if (!Array.isArray(items)) throw new InvalidJobOptionsError('items', items, 'enqueueMany takes an array of { data, options }');
    const now = this.#context.options.environment.clock.wallNow();
    const prepared = items.map((item, index) => {
      const candidate: unknown = item;
      if (typeof candidate !== 'object' || candidate === null) throw new InvalidJobOptionsError(`items[${index}]`, candidate, 'each item is { data, options? }');
      const { data, options } = candidate as EnqueueItem;
      encodeJsonValue(data);
      return { data: data as JsonValue, options: resolveEnqueueOptions(options, now, this.#context.options.defaultMaxAttempts) };
    });
    const ids: string[] = new Array<string>(prepared.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < prepared.length) {
        const index = next;
        next += 1;
        const item = prepared[index] as (typeof prepared)[number];
        ids[index] = await this.#enqueueOne(item.data, item.options, now, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, prepared.length) }, worker));
    return ids;
  }

  async #enqueueOne(data: JsonValue, options: ReturnType<typeof resolveEnqueueOptions>, now: number, signal: AbortSignal | undefined): Promise<string> {
    const { keys, jobs, options: queueOptions } = this.#context;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      let id = this.#newJobId(now);
      if (options.idempotencyKey !== null) {
        const claimed = await this.#claimIdempotencyKey(options.idempotencyKey, id, now, signal);
        const duplicate = claimed.jobId !== id;
        id = claimed.jobId;
        // A duplicate whose job exists is done; one whose job is missing was interrupted between
        // the idempotency record and the job record: finish writing it below.
        if (duplicate && (await jobs.read(id, signal)) !== undefined) return id;
      }
      const record: JobRecord = {
        format: JOB_RECORD_FORMAT,
        id,
        queue: queueOptions.name,
        state: options.delayed ? 'delayed' : 'ready',
        data,
        priority: options.priority,
        attempt: 0,
        maxAttempts: options.maxAttempts,
        timeoutMs: options.timeoutMs,
        idempotencyKey: options.idempotencyKey,
        enqueuedAt: now,
        availableAt: options.availableAt,
        claim: null,
        history: [],
        result: null,
        finishedAt: null,
        lastError: null,
        revision: 1,
        leaderEpoch: 0,
      };
      // The record first, the marker second: a marker always points at an existing record, so a
      // lister that finds no record may delete the marker as stale.
      const outcome = await jobs.create(record, signal);
      if (outcome.kind === 'lost') {
        if (options.idempotencyKey !== null) return id; // a racing enqueuer with the same key wrote it
        continue; // an id collision: draw another id
      }
      await jobs.putMarker(options.delayed ? keys.delayed(id, options.availableAt) : keys.ready(id, options.priority, options.availableAt), signal);
      this.#context.emit('job:enqueued', { id, delayed: options.delayed });
      return id;
    }
    throw new Error('Could not find a free job id after 5 attempts: the random source is broken');
  }

  /** Creates (or reuses) the idempotency record; returns the job id it names. */
  async #claimIdempotencyKey(idempotencyKey: string, jobId: string, now: number, signal: AbortSignal | undefined): Promise<IdempotencyRecord> {
    const { keys, jobs, options } = this.#context;
    const key = keys.idempotency(createHash('sha256').update(idempotencyKey).digest('hex'));
    const mine: IdempotencyRecord = { key: idempotencyKey, jobId, expiresAt: now + options.idempotencyWindowMs };
    const body = JSON.stringify(mine);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const existing = await jobs.store.get(key, { signal });
      const condition = existing === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: existing.etag };
      if (existing !== undefined) {
        const stored = JSON.parse(bytesToText(existing.body)) as IdempotencyRecord;
        // Judged by this enqueuer's wall clock against the first enqueuer's: skew only moves the end of the window.
        if (stored.expiresAt > now) return stored;
      }
      // Any failed or aborted write is settled by re-reading (see writeConditionally).
      const outcome = await writeConditionally(jobs.store, key, body, condition, { signal, contentType: 'application/json' });
      if (outcome.kind === 'written') return mine;
      if (outcome.kind === 'not-applied' && isAbortedBy(outcome.error, signal)) throw outcome.error;
    }
    throw new Error(`The idempotency record for ${JSON.stringify(idempotencyKey)} kept changing during 5 attempts; retry the enqueue`);
  }

  /** A job id: time-ordered base-36 milliseconds and 12 random characters (no "-": marker keys end in "-<id>"). */
  #newJobId(now: number): string {
    return `${Math.floor(now).toString(36).padStart(9, '0')}${randomToken(this.#context.options.environment.random, 12)}`;
  }

  /** Reads a job, or `undefined` when it does not exist (never enqueued, or purged). One GET. */
  async getJob(id: string, signal?: AbortSignal): Promise<JobInfo | undefined> {
    if (typeof id !== 'string' || !/^[0-9a-z]{1,64}$/.test(id)) return undefined;
    const current = await this.#context.jobs.read(id, signal);
    if (current === undefined) return undefined;
    const record = current.record;
    return {
      id: record.id,
      state: record.state,
      data: record.data,
      priority: record.priority,
      attempt: record.attempt,
      maxAttempts: record.maxAttempts,
      timeoutMs: record.timeoutMs,
      idempotencyKey: record.idempotencyKey,
      enqueuedAt: record.enqueuedAt,
      availableAt: record.availableAt,
      claimedBy: record.claim?.worker ?? null,
      history: record.history,
      result: record.result,
      finishedAt: record.finishedAt,
      lastError: record.lastError,
    };
  }

  /**
   * Counts by state. Lists the ready, delayed and dead indexes and the job records (LISTs only);
   * with `exact: true` it also reads every job record (one GET each: for diagnostics and tests,
   * not for a hot path). Not used by workers.
   */
  async stats(options: { exact?: boolean; signal?: AbortSignal } = {}): Promise<QueueStats> {
    const { keys, jobs } = this.#context;
    const [ready, delayed, dead, records] = await Promise.all(
      [keys.readyPrefix, keys.delayedPrefix, keys.deadPrefix, keys.jobsPrefix].map((prefix) => this.#listAll(prefix, options.signal)),
    );
    const stats: QueueStats = { ready: ready?.length ?? 0, delayed: delayed?.length ?? 0, dead: dead?.length ?? 0, total: records?.length ?? 0, active: null, completed: null };
    if (options.exact !== true) return stats;
    const counts: Record<JobState, number> = { ready: 0, delayed: 0, active: 0, completed: 0, dead: 0 };
    for (const key of records ?? []) {
      const id = keys.jobIdFromKey(key);
      if (id === undefined) continue;
      const current = await jobs.read(id, options.signal);
      if (current !== undefined) counts[current.record.state] += 1;
    }
    return { ...counts, total: records?.length ?? 0 };
  }

  async #listAll(prefix: string, signal: AbortSignal | undefined): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of listPages(this.#context.jobs.store, { prefix, signal })) keys.push(...page.entries.map((entry) => entry.key));
    return keys;
  }

  /**
   * Moves dead jobs back to ready with fresh attempts (their history is kept). Without `ids`,
   * every job in the dead index. Returns the ids moved. Safe to run from any process.
   */
  async redrive(options: { ids?: readonly string[]; signal?: AbortSignal } = {}): Promise<string[]> {
    const { keys, jobs, options: queueOptions } = this.#context;
    const ids = options.ids ?? (await this.#listAll(keys.deadPrefix, options.signal)).map((key) => keys.jobIdFromMarker(key));
    const moved: string[] = [];
    for (const id of ids) {
      const current = await jobs.read(id, options.signal);
      // A record a leader claimed for its purge is as good as gone (see JobRecord.purgingAt).
      if (current?.record.state !== 'dead' || current.record.purgingAt !== undefined) {
        if (options.ids === undefined) await jobs.deleteMarker(keys.dead(id), options.signal); // stale marker
        continue;
      }
      const redriven = redriveJob(current.record, queueOptions.environment.clock.wallNow());
      const outcome = await jobs.replace(redriven, current.etag, options.signal);
      if (outcome.kind === 'lost') continue;
      await jobs.putMarker(keys.ready(id, redriven.priority, redriven.availableAt), options.signal);
      await jobs.deleteMarker(keys.dead(id), options.signal);
      moved.push(id);
      this.#context.emit('job:redriven', { id });
    }
    return moved;
  }

  /**
   * Starts processing jobs with `handler`, up to `concurrency` at once. Returns the running
   * {@link Processor}; call its `stop()` for a graceful shutdown.
   */
  process<Data = JsonValue>(handler: JobHandler<Data>, options?: ProcessOptions): Processor {
    const processor = new Processor(this.#context, handler, options);
    this.#processors.add(processor);
    processor.start();
    return processor;
  }

  /** Stops every processor started on this queue (see {@link Processor.stop}). */
  async close(options?: { timeoutMs?: number }): Promise<void> {
    await Promise.all([...this.#processors].map((processor) => processor.stop(options)));
    this.#processors.clear();
  }

  /** Leader duty: take back claims unchanged for the visibility timeout. See {@link LeaderDuties.recoverExpiredClaims}. */
  recoverExpiredClaims(options: LeaderDutyOptions): Promise<RecoveryReport> {
    return this.#leader.recoverExpiredClaims(options);
  }

  /** Leader duty: make due delayed jobs ready. See {@link LeaderDuties.promoteDueJobs}. */
  promoteDueJobs(options: LeaderDutyOptions & { limit?: number }): Promise<PromotionReport> {
    return this.#leader.promoteDueJobs(options);
  }

  /** Leader duty: delete finished jobs past their retention. See {@link LeaderDuties.purgeFinished}. */
  purgeFinished(options: LeaderDutyOptions): Promise<PurgeReport> {
    return this.#leader.purgeFinished(options);
  }

  /** @throws {JobNotFoundError} when the job does not exist. Like {@link getJob}, for callers that expect it. */
  async requireJob(id: string, signal?: AbortSignal): Promise<JobInfo> {
    const job = await this.getJob(id, signal);
    if (job === undefined) throw new JobNotFoundError(id);
    return job;
  }
}
