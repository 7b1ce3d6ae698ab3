import { connect, type Hub } from '@baton/coordinator-core';
import { MemoryStore } from '@baton/storage';
import { waitUntil } from '@tooling/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from './queue';
import { QueuePlugin } from './queue-plugin';
import { FreezableTimers } from './test-support/freezable-timers';

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
    for (const { plugin } of members) plugin.process(({ id }) => {
      done.push(id);
      return Promise.resolve();
    }, { concurrency: 2 });
    const ids = await members[0]?.plugin.enqueueMany(Array.from({ length: 20 }, (_value, index) => ({ data: { index } }))) ?? [];
    await waitUntil(() => done.length >= 20);
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
    plugin.process(({ id: jobId, attempt }) => {
      completions.push(`${jobId}#${attempt}`);
      return Promise.resolve();
    });
    await waitUntil(() => completions.length > 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(completions).toEqual([`${id}#2`]);
    expect((await plugin.getJob(id))?.state).toBe('completed');
  });

  it('stops its leader duties and processing on disconnect', async () => {
    const store = new MemoryStore();
    const { hub, plugin } = await member(store);
    plugin.process(() => Promise.resolve());
    await hub.disconnect();
    await expect(plugin.enqueue({ after: 'close' })).resolves.toBeTypeOf('string'); // the store is still there
    expect(hub.coordination.size).toBe(0);
  });
});
