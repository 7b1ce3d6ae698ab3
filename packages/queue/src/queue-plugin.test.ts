import { connect, type Hub } from '@baton/coordinator-core';
import { MemoryStore, type ObjectStore } from '@baton/storage';
import { waitUntil } from '@tooling/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeJobRecord, parseJobRecord } from './job-record';
import { claimJob } from './job-transitions';
import { Queue } from './queue';
import { QueueKeys } from './queue-keys';
import { QueuePlugin } from './queue-plugin';
import { FreezableTimers, waitFor } from './test-support/freezable-timers';

const TIMINGS = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 };
const QUEUE = { name: 'emails', visibilityTimeoutMs: 400, pollIntervalMs: 10, retryBaseDelayMs: 0, retryMaxDelayMs: 0 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});

async function member(store: MemoryStore): Promise<{ hub: Hub; plugin: QueuePlugin }> {
  const hub = await connect(store, { globalCoordinator: TIMINGS });
  hubs.push(hub);
  const plugin = new QueuePlugin(QUEUE);
  await hub.usePlugin(plugin);
  return { hub, plugin };
}


describe('QueuePlugin on a hub', () => {
  it('is subscribed to the global coordinator under its name and processes every job exactly once across workers', async () => {
    const store = new MemoryStore();
    const members = [await member(store), await member(store)];
    const coordinator = await members[0]?.hub.getGlobalCoordinator();
    expect([...(coordinator?.subscribedPlugins.keys() ?? [])]).toEqual(['queue-emails']);
    expect(members[0]?.hub.coordination.get('queue-emails')?.mode).toBe('global');

    const done: string[] = [];
    const processors = members.map(({ plugin }) =>
      plugin.process(({ id }) => {
        done.push(id);
        return Promise.resolve();
      }, { concurrency: 2 }),
    );
    const ids = await members[0]?.plugin.enqueueMany(Array.from({ length: 20 }, (_value, index) => ({ data: { index } }))) ?? [];
    await waitUntil(() => done.length >= 20);
    // Then no late duplicate can come: every record is completed (no claim can be made on it any
    // more), and stopping the processors waits for any handler run still in flight.
    const queue = members[0]?.plugin;
    await waitUntil(async () => (await Promise.all(ids.map(async (id) => (await queue?.getJob(id))?.state))).every((state) => state === 'completed'));
    await Promise.all(processors.map((processor) => processor.stop()));
    expect([...done].sort()).toEqual([...ids].sort());
  });

  it('runs the leader duties only on the leader: delayed jobs are promoted there', async () => {
    const store = new MemoryStore();
    const members = [await member(store), await member(store)];
    const promotedBy: string[] = [];
    for (const { hub, plugin } of members) {
      const workerId = (await hub.getGlobalCoordinator()).workerId;
      plugin.on('job:promoted', () => void promotedBy.push(workerId));
    }
    const done: string[] = [];
    members[1]?.plugin.process(({ id }) => {
      done.push(id);
      return Promise.resolve();
    });
    const id = await members[1]?.plugin.enqueue({ later: true }, { delayMs: 50 });
    await waitUntil(() => done.includes(id ?? ''));
    const leaders = await Promise.all(members.map(async ({ hub }) => (await hub.getGlobalCoordinator()).isLeader));
    const leaderId = (await members[leaders.indexOf(true)]?.hub.getGlobalCoordinator())?.workerId;
    expect(promotedBy.length).toBeGreaterThan(0);
    expect(new Set(promotedBy)).toEqual(new Set([leaderId]));
  });

  it("recovers a crashed worker's job through the leader, and it completes exactly once", async () => {
    const store = new MemoryStore();
    const { plugin } = await member(store);
    const frozen = new FreezableTimers();
    const crashing = new Queue({ ...QUEUE, store, workerId: 'crashing', environment: { timers: frozen } });
    let started = false;
    crashing.process(() => {
      started = true;
      frozen.freeze(); // the process dies mid-job: no heartbeat, no completion
      return new Promise<never>(() => undefined);
    });
    const id = await plugin.enqueue({ work: 1 });
    await waitUntil(() => started);
    const completions: string[] = [];
    const processor = plugin.process(({ id: jobId, attempt }) => {
      completions.push(`${jobId}#${attempt}`);
      return Promise.resolve();
    });
    await waitUntil(() => completions.length > 0, 5000);
    // No late duplicate: once the record is completed nothing can claim it, and stop() waits for
    // a handler run still in flight.
    await waitUntil(async () => (await plugin.getJob(id))?.state === 'completed', 5000);
    await processor.stop();
    expect(completions).toEqual([`${id}#2`]);
  });

  it('stops its leader duties and processing on disconnect', async () => {
    const store = new MemoryStore();
    const { hub, plugin } = await member(store);
    plugin.process(() => Promise.resolve());
    await hub.disconnect();
    await expect(plugin.enqueue({ after: 'close' })).resolves.toBeTypeOf('string'); // the store is still there
    expect(hub.coordination.size).toBe(0);
  });

  it('a job record under a higher epoch than the live term (epochs were reset) moves the term above it, and the leader duties go on', async () => {
    const store = new MemoryStore();
    const keys = new QueueKeys(QUEUE.name);
    const { hub, plugin } = await member(store);
    const leadership = hub.coordination.get('queue-emails')?.leadership;
    await waitUntil(() => leadership?.isLeader === true);
    const resetEpoch = leadership?.getEpoch() ?? 0;
    // A crashed worker's claim, last touched by a leader at epoch 9: the record outlived a
    // namespace reset, so the live term's epoch is below it and the fence refuses the duty.
    const producer = new Queue({ store, name: QUEUE.name });
    const id = await producer.enqueue({ n: 1 });
    const enqueued = parseJobRecord(keys.job(id), (await store.get(keys.job(id)))?.body ?? new Uint8Array());
    const claimed = claimJob({ ...enqueued, leaderEpoch: 9 }, { token: 'token', worker: 'crashed', claimedAt: 0, visibilityTimeoutMs: QUEUE.visibilityTimeoutMs, heartbeats: 0 });
    await store.put(keys.job(id), encodeJobRecord(claimed), { contentType: 'application/json' });
    await store.delete(keys.ready(id, enqueued.priority, enqueued.availableAt));
    expect(resetEpoch).toBeLessThan(9);
    await waitFor(async () => (await producer.getJob(id))?.state === 'ready', 10_000, 'the crashed claim to be recovered under a term above epoch 9');
    expect(leadership?.getEpoch()).toBeGreaterThan(9);
    expect(leadership?.isLeader).toBe(true);
    const delayed = await plugin.enqueue({ later: true }, { delayMs: 20 });
    await waitFor(async () => (await producer.getJob(delayed))?.state === 'ready', 10_000, 'a delayed job to be promoted in the new term');
  });

  it('a failing promotion does not skip recovery: a crashed claim is taken back although every promotion pass fails', async () => {
    const memory = new MemoryStore();
    const keys = new QueueKeys(QUEUE.name);
    // A due delayed marker whose job cannot be read: every promotion pass fails on it.
    const poisonId = '000000000poison000000';
    await memory.put(keys.delayed(poisonId, 0), '', { contentType: 'application/octet-stream' });
    const store: ObjectStore = {
      capabilities: memory.capabilities,
      description: `one unreadable delayed job over ${memory.description}`,
      get: (key, options) => (key === keys.job(poisonId) ? Promise.reject(new Error('reading the delayed job failed')) : memory.get(key, options)),
      put: (key, body, options) => memory.put(key, body, options),
      delete: (key, options) => memory.delete(key, options),
      deleteMany: (keys, options) => memory.deleteMany(keys, options),
      list: (options) => memory.list(options),
    };
    const producer = new Queue({ store: memory, name: QUEUE.name });
    const id = await producer.enqueue({ n: 1 });
    const enqueued = parseJobRecord(keys.job(id), (await memory.get(keys.job(id)))?.body ?? new Uint8Array());
    const claimed = claimJob(enqueued, { token: 'token', worker: 'crashed', claimedAt: 0, visibilityTimeoutMs: QUEUE.visibilityTimeoutMs, heartbeats: 0 });
    await memory.put(keys.job(id), encodeJobRecord(claimed), { contentType: 'application/json' });
    await memory.delete(keys.ready(id, enqueued.priority, enqueued.availableAt));
    const hub = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(hub);
    const plugin = new QueuePlugin(QUEUE);
    await hub.usePlugin(plugin);
    await waitFor(async () => (await producer.getJob(id))?.state === 'ready', 10_000, 'the crashed claim to be recovered');
    expect((await producer.getJob(id))?.history.map((attempt) => attempt.outcome)).toEqual(['expired']);
  });
});
