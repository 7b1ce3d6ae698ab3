// The leader duties on a store without conditional DELETE — the S3 default (`S3Store` reports
// `conditionalDelete: false`; Ceph RGW accepts `If-Match` on DELETE and ignores it). The store
// here behaves the same way: it says so in its capabilities, and deletes whatever `ifMatch` says.
import { connect, type Hub } from '@baton/coordinator-core';
import { MemoryStore, type DeleteOptions, type ObjectStore } from '@baton/storage';
import { waitUntil } from '@tooling/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { StaleEpochError } from './errors';
import { encodeJobRecord, parseJobRecord, type JobRecord } from './job-record';
import { claimJob } from './job-transitions';
import { Queue } from './queue';
import { QueueKeys } from './queue-keys';
import { QueuePlugin } from './queue-plugin';

const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});

/** A manual clock: the leader's expiry judgement depends only on its monotonic reading. */
function manualClock(): { clock: { monotonicNow: () => number; wallNow: () => number }; advance: (ms: number) => void } {
  let monotonic = 0;
  let wall = 1_700_000_000_000;
  return {
    clock: { monotonicNow: () => monotonic, wallNow: () => wall },
    advance: (ms) => {
      monotonic += ms;
      wall += ms;
    },
  };
}

/**
 * A store like Ceph RGW behind `S3Store`: no conditional DELETE in its capabilities, and an
 * `ifMatch` on DELETE ignored (the object goes whatever its ETag). `beforeWrite` runs before each
 * PUT and DELETE reaches the store (to land another process's write in between).
 */
function withoutConditionalDelete(inner: ObjectStore, beforeWrite: (operation: 'put' | 'delete', key: string) => Promise<void> = () => Promise.resolve()): ObjectStore {
  return {
    capabilities: { ...inner.capabilities, conditionalDelete: false },
    description: `without conditional DELETE (${inner.description})`,
    get: (key, options) => inner.get(key, options),
    put: async (key, body, options) => {
      await beforeWrite('put', key);
      return inner.put(key, body, options);
    },
    delete: async (key, options?: DeleteOptions) => {
      await beforeWrite('delete', key);
      return inner.delete(key, { ...(options?.signal === undefined ? {} : { signal: options.signal }) });
    },
    list: (options) => inner.list(options),
  };
}

const VISIBILITY_TIMEOUT_MS = 1000;
const JSON_TYPE = { contentType: 'application/json' };

/** Plants the record of a job claimed by a worker that then crashed (its ready marker gone). */
async function plantCrashedClaim(store: ObjectStore, keys: QueueKeys, queue: Queue, options: { maxAttempts?: number; leaderEpoch?: number } = {}): Promise<JobRecord> {
  const id = await queue.enqueue({ n: 1 }, { maxAttempts: options.maxAttempts ?? 3 });
  const enqueued = parseJobRecord(keys.job(id), (await store.get(keys.job(id)))?.body ?? new Uint8Array());
  const claimed = { ...claimJob(enqueued, { token: 'token', worker: 'crashed', claimedAt: 0, visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, heartbeats: 0 }), leaderEpoch: options.leaderEpoch ?? 0 };
  await store.put(keys.job(id), encodeJobRecord(claimed), JSON_TYPE);
  await store.delete(keys.ready(id, enqueued.priority, enqueued.availableAt));
  return claimed;
}

describe('leader duties on a store without conditional DELETE', () => {
  it("a crashed worker's last attempt turns the job dead, with its dead marker; the purge then deletes record and marker", async () => {
    const inner = new MemoryStore();
    const store = withoutConditionalDelete(inner);
    const time = manualClock();
    const keys = new QueueKeys('last-attempt');
    const queue = new Queue({ store, name: 'last-attempt', visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, deadRetentionMs: 60_000, environment: { clock: time.clock } });
    const claimed = await plantCrashedClaim(store, keys, queue, { maxAttempts: 1 });
    await queue.recoverExpiredClaims({ epoch: 1 }); // first observation
    time.advance(VISIBILITY_TIMEOUT_MS);
    expect(await queue.recoverExpiredClaims({ epoch: 1 })).toMatchObject({ recovered: [], dead: [claimed.id] });
    expect(await inner.get(keys.dead(claimed.id))).toBeDefined();
    const job = await queue.getJob(claimed.id);
    expect(job).toMatchObject({ state: 'dead', attempt: 1 });
    expect(job?.history.map((entry) => entry.outcome)).toEqual(['expired']);
    expect(await queue.redrive({ ids: [] })).toEqual([]);
    expect((await queue.stats()).dead).toBe(1);

    time.advance(VISIBILITY_TIMEOUT_MS); // the dead record stable again: known to the purge
    expect((await queue.purgeFinished({ epoch: 1 })).purged).toEqual([]);
    time.advance(60_000);
    expect((await queue.purgeFinished({ epoch: 1 })).purged).toEqual([claimed.id]);
    expect(await inner.get(keys.job(claimed.id))).toBeUndefined();
    expect(await inner.get(keys.dead(claimed.id))).toBeUndefined();
  });

  it('repairs the missing marker of a stable ready, delayed or dead record once, and does not read a waiting one', async () => {
    const inner = new MemoryStore();
    const reads: string[] = [];
    const bare = withoutConditionalDelete(inner);
    const store: ObjectStore = { ...bare, capabilities: bare.capabilities, description: bare.description, get: (key, options) => (reads.push(key), inner.get(key, options)) };
    const time = manualClock();
    const keys = new QueueKeys('repair');
    const queue = new Queue({ store, name: 'repair', visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, environment: { clock: time.clock } });
    // Enqueued by another process: the leader knows these records only from the store.
    const producer = new Queue({ store: inner, name: 'repair' });
    const [ready, delayed, kept] = await producer.enqueueMany([{ data: 1 }, { data: 2, options: { delayMs: 3_600_000 } }, { data: 3 }]);
    const read = async (id: string | undefined): Promise<JobRecord> => parseJobRecord(keys.job(id ?? ''), (await inner.get(keys.job(id ?? '')))?.body ?? new Uint8Array());
    const readyRecord = await read(ready);
    const delayedRecord = await read(delayed);
    // Their writers stopped between the record and the marker.
    await inner.delete(keys.ready(readyRecord.id, readyRecord.priority, readyRecord.availableAt));
    await inner.delete(keys.delayed(delayedRecord.id, delayedRecord.availableAt));
    const deadId = '000000000deadnomarker';
    await inner.put(keys.job(deadId), encodeJobRecord({ ...readyRecord, id: deadId, state: 'dead', finishedAt: time.clock.wallNow() }), JSON_TYPE);

    await queue.recoverExpiredClaims({ epoch: 1 }); // first observation
    time.advance(VISIBILITY_TIMEOUT_MS);
    const report = await queue.recoverExpiredClaims({ epoch: 1 });
    expect(report.ensuredMarkers).toBe(3);
    expect(await inner.get(keys.ready(readyRecord.id, readyRecord.priority, readyRecord.availableAt))).toBeDefined();
    expect(await inner.get(keys.delayed(delayedRecord.id, delayedRecord.availableAt))).toBeDefined();
    expect(await inner.get(keys.dead(deadId))).toBeDefined();
    expect((await queue.stats()).ready).toBe(2);
    expect(report.scanned).toBe(4);
    expect(reads.filter((key) => key === keys.job(kept ?? '')), 'reads of the waiting record').toEqual([]);
    // Once per version: the next passes do not write them again.
    time.advance(VISIBILITY_TIMEOUT_MS);
    expect((await queue.recoverExpiredClaims({ epoch: 1 })).ensuredMarkers).toBe(0);
  });

  it('a record written under a higher leader epoch stops the duties of an older term, untouched; a newer term goes on', async () => {
    const inner = new MemoryStore();
    const store = withoutConditionalDelete(inner);
    const time = manualClock();
    const keys = new QueueKeys('higher-epoch');
    const queue = new Queue({ store, name: 'higher-epoch', visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, environment: { clock: time.clock } });
    // Claimed after a promotion by the leader of term 5; this leader is still in term 3.
    const claimed = await plantCrashedClaim(store, keys, queue, { leaderEpoch: 5 });
    const before = await inner.get(keys.job(claimed.id));
    await queue.recoverExpiredClaims({ epoch: 3 }); // first observation
    time.advance(VISIBILITY_TIMEOUT_MS);
    await expect(queue.recoverExpiredClaims({ epoch: 3 })).rejects.toBeInstanceOf(StaleEpochError);
    expect((await inner.get(keys.job(claimed.id)))?.etag).toBe(before?.etag);
    // The fence remembers: term 3 stays refused, even for the duties that never met the record.
    await expect(queue.purgeFinished({ epoch: 3 })).rejects.toBeInstanceOf(StaleEpochError);
    await expect(queue.promoteDueJobs({ epoch: 5 })).resolves.toMatchObject({ promoted: [] });
    // The next term (as LeaderWorkRunner starts it with the new epoch) takes the job back.
    time.advance(VISIBILITY_TIMEOUT_MS);
    expect((await queue.recoverExpiredClaims({ epoch: 6 })).recovered).toEqual([claimed.id]);
    expect(await queue.getJob(claimed.id)).toMatchObject({ state: 'ready', attempt: 1 });
  });

  /** A dead job past its retention, known to `leader` (stable for a visibility timeout), on `inner`. */
  async function deadJobDueForPurge(inner: ObjectStore, leader: Queue, keys: QueueKeys, time: ReturnType<typeof manualClock>): Promise<string> {
    const claimed = await plantCrashedClaim(inner, keys, leader, { maxAttempts: 1 });
    await leader.recoverExpiredClaims({ epoch: 1 });
    time.advance(VISIBILITY_TIMEOUT_MS);
    expect((await leader.recoverExpiredClaims({ epoch: 1 })).dead).toEqual([claimed.id]);
    time.advance(VISIBILITY_TIMEOUT_MS);
    expect((await leader.purgeFinished({ epoch: 1 })).purged).toEqual([]); // the dead record stable: known, retained
    time.advance(60_000);
    return claimed.id;
  }

  it("a redrive that lands after the purge's last look at the dead job, before its first write, is not undone: the redriven job survives", async () => {
    const inner = new MemoryStore();
    const time = manualClock();
    const keys = new QueueKeys('purge-redrive');
    const operator = new Queue({ store: inner, name: 'purge-redrive' });
    let armed = false;
    let raced: string[] = [];
    const store = withoutConditionalDelete(inner, async (_operation, key) => {
      if (!armed || !key.startsWith(keys.jobsPrefix)) return;
      armed = false;
      raced = await operator.redrive({ ids: [keys.jobIdFromKey(key) ?? ''] });
    });
    const leader = new Queue({ store, name: 'purge-redrive', visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, deadRetentionMs: 60_000, environment: { clock: time.clock } });
    const id = await deadJobDueForPurge(inner, leader, keys, time);
    armed = true;
    expect((await leader.purgeFinished({ epoch: 1 })).purged).toEqual([]);
    expect(raced).toEqual([id]);
    expect(await operator.getJob(id)).toMatchObject({ state: 'ready', attempt: 0 });
    expect((await operator.stats()).ready).toBe(1);
    // The next passes see a ready job, not a finished one: it stays.
    time.advance(VISIBILITY_TIMEOUT_MS * 3);
    await leader.purgeFinished({ epoch: 1 });
    expect((await operator.getJob(id))?.state).toBe('ready');
  });

  it('a redrive that comes after the purge claimed the dead job skips it, and the purge completes', async () => {
    const inner = new MemoryStore();
    const time = manualClock();
    const keys = new QueueKeys('purge-then-redrive');
    const operator = new Queue({ store: inner, name: 'purge-then-redrive' });
    let armed = false;
    let raced: string[] | undefined;
    const store = withoutConditionalDelete(inner, async (operation, key) => {
      if (!armed || operation !== 'delete' || !key.startsWith(keys.jobsPrefix)) return;
      armed = false;
      raced = await operator.redrive({ ids: [keys.jobIdFromKey(key) ?? ''] });
    });
    const leader = new Queue({ store, name: 'purge-then-redrive', visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, deadRetentionMs: 60_000, environment: { clock: time.clock } });
    const id = await deadJobDueForPurge(inner, leader, keys, time);
    armed = true;
    expect((await leader.purgeFinished({ epoch: 1 })).purged).toEqual([id]);
    expect(raced).toEqual([]);
    expect(await operator.getJob(id)).toBeUndefined();
    expect(await inner.list({ prefix: 'queues/purge-then-redrive/' })).toMatchObject({ entries: [] });
  });

  it('on a hub, the leader whose duties meet a record of a higher epoch moves to a term above it (LeaderWorkRunner) and then recovers the job', async () => {
    const inner = new MemoryStore();
    const store = withoutConditionalDelete(inner);
    const keys = new QueueKeys('runner-epoch');
    const hub = await connect(store, { globalCoordinator: { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 } });
    hubs.push(hub);
    const plugin = new QueuePlugin({ name: 'runner-epoch', visibilityTimeoutMs: 400, pollIntervalMs: 10 });
    await hub.usePlugin(plugin);
    // The plugin leads with the epoch of its own lease, held by the global coordinator.
    const leadership = (await hub.getGlobalCoordinator()).leadershipOf(plugin.name);
    await waitUntil(() => leadership.isLeader);
    // Epochs reset or reused (a restored state.json): a record carries one above this live term's.
    const higher = leadership.getEpoch() + 40;
    const claimed = await plantCrashedClaim(inner, keys, new Queue({ store: inner, name: 'runner-epoch' }), { leaderEpoch: higher });
    const expired: string[] = [];
    plugin.on('job:expired', ({ id }) => expired.push(id));
    await waitUntil(() => expired.includes(claimed.id), 10_000);
    expect(leadership.getEpoch()).toBeGreaterThan(higher);
    const record = parseJobRecord(keys.job(claimed.id), (await inner.get(keys.job(claimed.id)))?.body ?? new Uint8Array());
    expect(record).toMatchObject({ state: 'ready', attempt: 1 });
    expect(record.leaderEpoch).toBeGreaterThan(higher);
  });
});
