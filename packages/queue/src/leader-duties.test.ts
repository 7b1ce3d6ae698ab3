import { CountingStore, MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { StaleEpochError } from './errors';
import { encodeJobRecord, parseJobRecord } from './job-record';
import { claimJob } from './job-transitions';
import { Queue } from './queue';
import { QueueKeys } from './queue-keys';
import { FreezableTimers, waitFor } from './test-support/freezable-timers';

/** A manual clock: the leader's expiry judgement depends only on its monotonic reading. */
function manualClock(): { clock: { monotonicNow: () => number; wallNow: () => number }; advance: (ms: number) => void; jumpWall: (ms: number) => void } {
  let monotonic = 0;
  let wall = 1_700_000_000_000;
  return {
    clock: { monotonicNow: () => monotonic, wallNow: () => wall },
    advance: (ms) => {
      monotonic += ms;
      wall += ms;
    },
    jumpWall: (ms) => {
      wall += ms;
    },
  };
}

describe('leader duties with an injected clock', () => {
  it('does not read jobs that are waiting (ready or delayed marker) until they have waited a few visibility timeouts', async () => {
    const shared = new MemoryStore();
    const time = manualClock();
    const counting = new CountingStore(shared);
    const leader = new Queue({ store: counting, name: 'waiting', visibilityTimeoutMs: 1000, environment: { clock: time.clock } });
    const producer = new Queue({ store: shared, name: 'waiting' });
    await producer.enqueueMany([{ data: 1 }, { data: 2 }, { data: 3, options: { delayMs: 3_600_000 } }]);
    await leader.recoverExpiredClaims({ epoch: 1 }); // first observation
    time.advance(1000);
    counting.reset();
    await leader.recoverExpiredClaims({ epoch: 1 }); // stable, but waiting: nothing read, nothing re-written
    expect(counting.counts).toMatchObject({ get: 0, put: 0 });
    time.advance(2000);
    counting.reset();
    await leader.recoverExpiredClaims({ epoch: 1 }); // waited 3 visibility timeouts: checked once
    expect(counting.counts.get).toBe(3);
  });

  it("learns other processes' completions from their journal instead of reading each record, and deletes the journal", async () => {
    const shared = new MemoryStore();
    const time = manualClock();
    const counting = new CountingStore(shared);
    const leader = new Queue({ store: counting, name: 'journal', visibilityTimeoutMs: 1000, completedRetentionMs: 1, idempotencyWindowMs: 1, environment: { clock: time.clock } });
    const worker = new Queue({ store: shared, name: 'journal', visibilityTimeoutMs: 1000, pollIntervalMs: 10 });
    const ids = await worker.enqueueMany(Array.from({ length: 5 }, (_value, index) => ({ data: index })));
    let completed = 0;
    worker.on('job:completed', () => (completed += 1));
    const processor = worker.process(() => 'done');
    await waitFor(() => completed === ids.length, 5000, 'the jobs to complete');
    await processor.stop(); // flushes the journal
    expect((await shared.list({ prefix: 'queues/journal/finished/' })).entries.length).toBeGreaterThan(0);
    await leader.recoverExpiredClaims({ epoch: 1 }); // first observation; the journal is read and deleted
    expect((await shared.list({ prefix: 'queues/journal/finished/' })).entries).toEqual([]);
    time.advance(1000);
    counting.reset();
    await leader.recoverExpiredClaims({ epoch: 1 }); // all stable: known completed, none read
    expect(counting.counts.get).toBe(0);
    // Purge works from the journal's finishedAt alone: with a zero retention, and the leader's wall
    // clock past the workers' (real) one, all go — without a read.
    time.jumpWall(400_000_000_000);
    const purged = (await leader.purgeFinished({ epoch: 1 })).purged;
    expect(counting.counts.get).toBe(0);
    expect(purged.sort()).toEqual([...ids].sort());
  });

  it('does not read back a record this process wrote itself, but reads one written by another', async () => {
    const shared = new MemoryStore();
    const time = manualClock();
    const counting = new CountingStore(shared);
    const leader = new Queue({ store: counting, name: 'own', visibilityTimeoutMs: 1000, pollIntervalMs: 10, environment: { clock: time.clock } });
    const other = new Queue({ store: shared, name: 'own' });
    let completed = 0;
    leader.on('job:completed', () => (completed += 1));
    const processor = leader.process(() => 'done');
    const own = await leader.enqueue('mine');
    await waitFor(() => completed === 1, 5000, 'the job to complete');
    await processor.stop();
    // Dead-lettered by the other process: not in the journal of completed jobs, so the leader reads it.
    const foreign = await other.enqueue('theirs', { maxAttempts: 1 });
    const otherProcessor = other.process(() => {
      throw new Error('fails for good');
    });
    await waitFor(async () => (await other.getJob(foreign))?.state === 'dead', 5000, 'the other job to die');
    await otherProcessor.stop();
    await leader.recoverExpiredClaims({ epoch: 1 }); // first observation of both
    time.advance(1000);
    counting.reset();
    await leader.recoverExpiredClaims({ epoch: 1 }); // both stable: only the foreign one is read
    expect(counting.counts.get).toBe(1);
    expect((await other.getJob(own))?.state).toBe('completed');
    expect((await other.getJob(foreign))?.state).toBe('dead');
  });

  it('expires a claim only after observing the same ETag for the visibility timeout on its monotonic clock', async () => {
    const store = new MemoryStore();
    const frozen = new FreezableTimers();
    const worker = new Queue({ store, name: 'expiry', visibilityTimeoutMs: 1000, pollIntervalMs: 10, environment: { timers: frozen } });
    const leaderTime = manualClock();
    const leader = new Queue({ store, name: 'expiry', visibilityTimeoutMs: 1000, environment: { clock: leaderTime.clock } });
    const id = await worker.enqueue('x');
    worker.process(() => {
      frozen.freeze(); // crash: no heartbeat will ever be written
      return new Promise<void>(() => undefined);
    });
    await waitFor(async () => (await worker.getJob(id))?.state === 'active', 5000, 'the claim');
    // The crash also froze the claimer's batch of ready-marker deletions: another worker's
    // stale-marker rule removes the marker, as it would in a live fleet.
    const cleaner = new Queue({ store, name: 'expiry', pollIntervalMs: 10 }).process(() => undefined);
    await waitFor(async () => (await store.list({ prefix: 'queues/expiry/ready/' })).entries.length === 0, 5000, 'the stale marker to go');
    await cleaner.stop();
    expect((await leader.recoverExpiredClaims({ epoch: 1 })).recovered).toEqual([]); // first observation
    // A wall-clock jump of a day changes nothing: expiry is judged on the monotonic clock.
    leaderTime.jumpWall(86_400_000);
    leaderTime.advance(999);
    expect((await leader.recoverExpiredClaims({ epoch: 1 })).recovered).toEqual([]);
    leaderTime.advance(1);
    expect((await leader.recoverExpiredClaims({ epoch: 1 })).recovered).toEqual([id]);
    const job = await leader.getJob(id);
    expect(job).toMatchObject({ state: 'ready', attempt: 1 });
    expect(job?.history[0]).toMatchObject({ outcome: 'expired', attempt: 1 });
  });

  it('does not expire a claim whose record keeps changing (heartbeats)', async () => {
    const store = new MemoryStore();
    const worker = new Queue({ store, name: 'alive', visibilityTimeoutMs: 150, pollIntervalMs: 10 });
    const leaderTime = manualClock();
    const leader = new Queue({ store, name: 'alive', visibilityTimeoutMs: 150, environment: { clock: leaderTime.clock } });
    const id = await worker.enqueue('x');
    let finish: (() => void) | undefined;
    const processor = worker.process(() => new Promise<void>((resolve) => (finish = resolve)));
    await waitFor(async () => (await worker.getJob(id))?.state === 'active', 5000, 'the claim');
    const recordKey = new QueueKeys('alive').job(id);
    for (let round = 0; round < 6; round += 1) {
      const observed = (await store.get(recordKey))?.etag;
      expect((await leader.recoverExpiredClaims({ epoch: 1 })).recovered).toEqual([]);
      leaderTime.advance(150);
      // A real heartbeat lands every 50 ms: wait for one (however late a loaded machine runs it),
      // rather than for a fixed time it may not fit in.
      await waitFor(async () => (await store.get(recordKey))?.etag !== observed, 5000, 'a heartbeat');
    }
    finish?.();
    await waitFor(async () => (await worker.getJob(id))?.state === 'completed', 5000, 'completion');
    await processor.stop();
  });

  it('refuses a stale epoch', async () => {
    const queue = new Queue({ store: new MemoryStore(), name: 'epochs' });
    await queue.recoverExpiredClaims({ epoch: 5 });
    await expect(queue.recoverExpiredClaims({ epoch: 4 })).rejects.toBeInstanceOf(StaleEpochError);
    await expect(queue.promoteDueJobs({ epoch: 0 })).rejects.toMatchObject({ code: 'INVALID_QUEUE_OPTIONS' });
  });

  it('purges finished jobs after their retention, judged by the leader wall clock', async () => {
    const store = new MemoryStore();
    const time = manualClock();
    const queue = new Queue({ store, name: 'purge', visibilityTimeoutMs: 100, pollIntervalMs: 5, completedRetentionMs: 60_000, idempotencyWindowMs: 30_000, environment: { clock: time.clock } });
    const id = await queue.enqueue('x', { idempotencyKey: 'k' });
    const processor = queue.process(() => 'done');
    await waitFor(async () => (await queue.getJob(id))?.state === 'completed', 5000, 'completion');
    await processor.stop();
    expect((await queue.purgeFinished({ epoch: 1 })).purged).toEqual([]);
    time.advance(100); // the record is now known (stable for the visibility timeout) but retained
    expect((await queue.purgeFinished({ epoch: 1 })).purged).toEqual([]);
    time.advance(60_000);
    const report = await queue.purgeFinished({ epoch: 1 });
    expect(report).toEqual({ purged: [id], idempotencyRecords: 1 });
    expect(await queue.getJob(id)).toBeUndefined();
  });

  it('a garbage delayed record costs only itself: its marker is set aside and the other due jobs are promoted', async () => {
    const store = new MemoryStore();
    const time = manualClock();
    const keys = new QueueKeys('garbage-delayed');
    const garbageId = '000000000garbage00000';
    await store.put(keys.job(garbageId), 'garbage', { contentType: 'application/json' });
    await store.put(keys.delayed(garbageId, 0), '', { contentType: 'application/octet-stream' });
    const queue = new Queue({ store, name: 'garbage-delayed', environment: { clock: time.clock } });
    const corrupt: string[] = [];
    queue.on('record:corrupt', ({ key }) => corrupt.push(key));
    const id = await queue.enqueue({ n: 1 }, { delayMs: 500 });
    time.advance(1000);
    const report = await queue.promoteDueJobs({ epoch: 1 });
    expect(report).toEqual({ promoted: [id], staleMarkers: 0, corrupt: 1 });
    expect(corrupt).toEqual([keys.job(garbageId)]);
    expect(await store.get(keys.delayed(garbageId, 0))).toBeUndefined();
    expect((await queue.getJob(id))?.state).toBe('ready');
  });

  it('a record with wrong types (active without a claim) costs only itself: the other expired claims are recovered, and it is reported once', async () => {
    const store = new MemoryStore();
    const time = manualClock();
    const keys = new QueueKeys('wrong-types');
    const queue = new Queue({ store, name: 'wrong-types', visibilityTimeoutMs: 1000, environment: { clock: time.clock } });
    const id = await queue.enqueue({ n: 1 });
    const enqueued = parseJobRecord(keys.job(id), (await store.get(keys.job(id)))?.body ?? new Uint8Array());
    // A crashed worker's claim, and beside it (listed first) a record whose claim is missing.
    const claimed = claimJob(enqueued, { token: 'token', worker: 'crashed', claimedAt: 0, visibilityTimeoutMs: 1000, heartbeats: 0 });
    await store.put(keys.job(id), encodeJobRecord(claimed), { contentType: 'application/json' });
    await store.delete(keys.ready(id, enqueued.priority, enqueued.availableAt));
    const wrongId = '000000000wrongtypes00';
    await store.put(keys.job(wrongId), encodeJobRecord({ ...claimed, id: wrongId, claim: null }), { contentType: 'application/json' });
    const corrupt: string[] = [];
    queue.on('record:corrupt', ({ key }) => corrupt.push(key));
    await queue.recoverExpiredClaims({ epoch: 1 }); // first observation
    time.advance(1000);
    const report = await queue.recoverExpiredClaims({ epoch: 1 });
    expect(report).toMatchObject({ recovered: [id], corrupt: 1 });
    time.advance(1000);
    expect((await queue.recoverExpiredClaims({ epoch: 1 })).corrupt).toBe(0);
    expect(corrupt).toEqual([keys.job(wrongId)]);
    expect((await queue.getJob(id))?.state).toBe('ready');
  });
  it('a record claiming a leader epoch no term can have is corrupt: it costs only itself and does not fence the leader out', async () => {
    const store = new MemoryStore();
    const time = manualClock();
    const keys = new QueueKeys('extreme-epoch');
    const queue = new Queue({ store, name: 'extreme-epoch', environment: { clock: time.clock } });
    const id = await queue.enqueue({ n: 1 }, { delayMs: 500 });
    const enqueued = parseJobRecord(keys.job(id), (await store.get(keys.job(id)))?.body ?? new Uint8Array());
    // Due first, valid in every field but its epoch: MAX_SAFE_INTEGER, far above MAX_EPOCH.
    const extremeId = '000000000extreme00000';
    await store.put(keys.job(extremeId), encodeJobRecord({ ...enqueued, id: extremeId, availableAt: 0, leaderEpoch: Number.MAX_SAFE_INTEGER }), { contentType: 'application/json' });
    await store.put(keys.delayed(extremeId, 0), '', { contentType: 'application/octet-stream' });
    const corrupt: string[] = [];
    queue.on('record:corrupt', ({ key }) => corrupt.push(key));
    time.advance(1000);
    expect(await queue.promoteDueJobs({ epoch: 1 })).toEqual({ promoted: [id], staleMarkers: 0, corrupt: 1 });
    expect(corrupt).toEqual([keys.job(extremeId)]);
    // The fence did not learn the bogus epoch: the leader's duties go on under its own.
    await expect(queue.recoverExpiredClaims({ epoch: 1 })).resolves.toMatchObject({ recovered: [] });
  });
});
