import { isStorageError, MemoryStore, type ObjectBody, type ObjectStore, type PutOptions, type PutResult } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { ClaimLostError, JobTimeoutError, ProcessorStoppedError } from './errors';
import { Queue } from './queue';
import { QueueKeys } from './queue-keys';
import { waitFor } from './test-support/freezable-timers';

/**
 * A store whose first claim (a conditional write of an active record) is applied, then hangs
 * until the caller's signal aborts and rejects with the signal's reason — as S3 does: any error
 * object, not one named AbortError.
 */
class ClaimAppliedThenAborted implements ObjectStore {
  readonly #inner: ObjectStore;
  #armed = true;
  /** Whether the claim has been applied and is hanging. */
  applied = false;

  constructor(inner: ObjectStore) {
    this.#inner = inner;
  }

  get capabilities(): ObjectStore['capabilities'] {
    return this.#inner.capabilities;
  }

  get description(): string {
    return `claim applied then aborted over ${this.#inner.description}`;
  }

  get: ObjectStore['get'] = (key, options) => this.#inner.get(key, options);
  list: ObjectStore['list'] = (options) => this.#inner.list(options);
  delete: ObjectStore['delete'] = (key, options) => this.#inner.delete(key, options);

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    const isClaim = typeof body === 'string' && options?.ifMatch !== undefined && body.includes('"state":"active"');
    if (!this.#armed || !isClaim || options.signal === undefined) return this.#inner.put(key, body, options);
    this.#armed = false;
    const { signal } = options;
    await this.#inner.put(key, body, { ...options, signal: undefined });
    this.applied = true;
    await new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        resolve();
      });
    });
    throw signal.reason;
  }
}

describe('processor', () => {
  it('stop() aborting a claim the store applied releases it uncounted: another processor completes it, never dead-lettered', async () => {
    const shared = new MemoryStore();
    const hanging = new ClaimAppliedThenAborted(shared);
    const stopping = new Queue({ store: hanging, name: 'aborted-claim', pollIntervalMs: 20, visibilityTimeoutMs: 60_000 });
    const id = await stopping.enqueue({ n: 1 }, { maxAttempts: 1 });
    let runs = 0;
    const processor = stopping.process(() => {
      runs += 1;
    });
    await waitFor(() => hanging.applied, 5000, 'the claim to be applied');
    await processor.stop({ timeoutMs: 0 });
    const released = await stopping.getJob(id);
    expect(released?.state).toBe('ready');
    expect(released?.attempt).toBe(0);
    expect(runs).toBe(0);
    const other = new Queue({ store: shared, name: 'aborted-claim', pollIntervalMs: 20 });
    const finishing = other.process(() => {
      runs += 1;
      return 'done';
    });
    await waitFor(async () => (await other.getJob(id))?.state === 'completed', 5000, 'the job to complete');
    await finishing.stop();
    expect(runs).toBe(1);
  });

  it('a garbage record with a ready marker costs only itself: 20 jobs enqueued after it all complete', async () => {
    const store = new MemoryStore();
    const keys = new QueueKeys('garbage-ready');
    const garbageId = '000000000garbage00000';
    await store.put(keys.job(garbageId), '\u0000not a job{', { contentType: 'application/json' });
    await store.put(keys.ready(garbageId, 999, 0), '', { contentType: 'application/octet-stream' });
    const queue = new Queue({ store, name: 'garbage-ready', pollIntervalMs: 20 });
    const corrupt: string[] = [];
    const errors: unknown[] = [];
    queue.on('record:corrupt', ({ key, error }) => {
      corrupt.push(key);
      errors.push(error);
    });
    const ids = await queue.enqueueMany(Array.from({ length: 20 }, (_value, index) => ({ data: { index } })));
    const completed = new Set<string>();
    const processor = queue.process(({ id }) => {
      completed.add(id);
    });
    await waitFor(() => completed.size === ids.length, 10_000, 'every job to complete');
    await processor.stop();
    expect([...completed].sort()).toEqual([...ids].sort());
    expect(corrupt).toContain(keys.job(garbageId));
    expect(errors[corrupt.indexOf(keys.job(garbageId))]).toMatchObject({ code: 'CORRUPT_RECORD', key: keys.job(garbageId), reason: expect.stringMatching(/^not JSON/) as unknown });
    expect(await store.get(keys.ready(garbageId, 999, 0))).toBeUndefined();
  });

  it("aborts the handler's signal at the claim's own visibility deadline when heartbeats fail (not refused)", async () => {
    const memory = new MemoryStore();
    const keys = new QueueKeys('failing-heartbeats');
    let unreachable = false;
    const fail = (key: string): boolean => unreachable && key.startsWith(keys.jobsPrefix);
    const store: ObjectStore = {
      capabilities: memory.capabilities,
      description: `job records unreachable on demand over ${memory.description}`,
      get: (key, options) => (fail(key) ? Promise.reject(new Error('connection reset')) : memory.get(key, options)),
      put: (key, body, options) => (fail(key) ? Promise.reject(new Error('connection reset')) : memory.put(key, body, options)),
      delete: (key, options) => memory.delete(key, options),
      list: (options) => memory.list(options),
    };
    const queue = new Queue({ store, name: 'failing-heartbeats', visibilityTimeoutMs: 300, pollIntervalMs: 20 });
    await queue.enqueue({ n: 1 });
    const errors: unknown[] = [];
    queue.on('worker:error', ({ error }) => errors.push(error));
    let reason: unknown;
    const startedAt = Date.now();
    let abortedAfter = Number.POSITIVE_INFINITY;
    const processor = queue.process(async ({ signal }) => {
      unreachable = true;
      await new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => {
          resolve();
        });
      });
      reason = signal.reason;
      abortedAfter = Date.now() - startedAt;
    });
    await waitFor(() => reason !== undefined, 5000, "the handler's signal to abort");
    unreachable = false;
    await processor.stop();
    expect(reason).toBeInstanceOf(ClaimLostError);
    expect(abortedAfter).toBeLessThan(2000);
    expect(errors.some((error) => isStorageError(error, 'OUTCOME_UNKNOWN'))).toBe(true);
  });

  it("aborts a handler that runs past its job's timeoutMs with JOB_TIMEOUT and records the attempt as timed out", async () => {
    const queue = new Queue({ store: new MemoryStore(), name: 'timeouts', pollIntervalMs: 20 });
    const id = await queue.enqueue({ n: 1 }, { timeoutMs: 100, maxAttempts: 1 });
    let reason: unknown;
    const processor = queue.process(({ signal }) => {
      // A handler that honours its signal: it rejects with the signal's reason.
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          reason = signal.reason;
          reject(signal.reason as Error);
        });
      });
    });
    await waitFor(async () => (await queue.getJob(id))?.state === 'dead', 5000, 'the timed-out job to be dead-lettered');
    await processor.stop();
    expect(reason).toBeInstanceOf(JobTimeoutError);
    expect(reason).toMatchObject({ code: 'JOB_TIMEOUT', jobId: id, timeoutMs: 100 });
    const job = await queue.requireJob(id);
    expect(job.history.map((attempt) => attempt.outcome)).toEqual(['timed-out']);
    expect(job.lastError).toMatchObject({ name: 'JobTimeoutError' });
  });

  it('aborts the handlers still running when the grace of stop() ends with PROCESSOR_STOPPED, and releases their jobs uncounted', async () => {
    const queue = new Queue({ store: new MemoryStore(), name: 'stopping', pollIntervalMs: 20 });
    const id = await queue.enqueue({ n: 1 }, { maxAttempts: 1 });
    let started = false;
    let reason: unknown;
    const processor = queue.process(({ signal }) => {
      started = true;
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          reason = signal.reason;
          reject(signal.reason as Error);
        });
      });
    });
    await waitFor(() => started, 5000, 'the handler to start');
    await processor.stop({ timeoutMs: 50 });
    expect(reason).toBeInstanceOf(ProcessorStoppedError);
    expect(reason).toMatchObject({ code: 'PROCESSOR_STOPPED' });
    // Released, not failed: the attempt is not counted against maxAttempts 1.
    expect(await queue.requireJob(id)).toMatchObject({ state: 'ready', attempt: 0 });
  });

  it('extendLease() rewrites the claim; once another process took the job over it rejects with CLAIM_LOST and the signal aborts', async () => {
    const store = new MemoryStore();
    const keys = new QueueKeys('extend');
    const queue = new Queue({ store, name: 'extend', pollIntervalMs: 20, visibilityTimeoutMs: 60_000 });
    const id = await queue.enqueue({ n: 1 });
    const heartbeats = async (): Promise<number> => (JSON.parse(new TextDecoder().decode((await store.get(keys.job(id)))?.body)) as { claim: { heartbeats: number } }).claim.heartbeats;
    const seen: { before?: number; after?: number; error?: unknown; reason?: unknown } = {};
    let done = false;
    const processor = queue.process(async (job) => {
      seen.before = await heartbeats();
      await job.extendLease();
      seen.after = await heartbeats();
      // Another process takes the job over (as the leader does after a judged expiry).
      const stored = await store.get(keys.job(id));
      const record = JSON.parse(new TextDecoder().decode(stored?.body)) as { claim: { token: string }; revision: number };
      await store.put(keys.job(id), JSON.stringify({ ...record, claim: { ...record.claim, token: 'someone-else' }, revision: record.revision + 1 }), { ifMatch: stored?.etag ?? '' });
      seen.error = await job.extendLease().catch((caught: unknown) => caught);
      seen.reason = job.signal.reason;
      done = true;
    });
    await waitFor(() => done, 5000, 'the handler to finish');
    await processor.stop();
    expect(seen.after).toBe((seen.before ?? Number.NaN) + 1);
    expect(seen.error).toBeInstanceOf(ClaimLostError);
    expect(seen.error).toMatchObject({ code: 'CLAIM_LOST', jobId: id });
    expect(seen.reason).toBeInstanceOf(ClaimLostError);
    // The handler's return after the loss is not kept: the other process's claim stays.
    expect(await queue.requireJob(id)).toMatchObject({ state: 'active' });
  });
});
