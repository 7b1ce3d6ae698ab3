import { MemoryStore, type ListOptions, type ListPage } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { resolveCoordinatorConfig } from './config';
import type { Clock } from '@baton/plugin';
import { namespaceKeys } from './storage-keys';
import { WorkerRegistry } from './worker-registry';

function registry(store: MemoryStore, workerId: string, clock: { now: number; wall: number }) {
  const manual: Clock = { monotonicNow: () => clock.now, wallNow: () => clock.wall };
  return new WorkerRegistry({
    store,
    keys: namespaceKeys('default'),
    namespace: 'default',
    workerId,
    config: resolveCoordinatorConfig({ heartbeatInterval: 1000, leaseTimeout: 3000, workerTimeout: 4000 }),
    clock: manual,
    hostname: 'host',
    pid: 1,
  });
}

describe('WorkerRegistry', () => {
  it('judges liveness by observed changes on the local clock, never by timestamps', async () => {
    const store = new MemoryStore();
    // The other worker's wall clock is a day behind: irrelevant.
    const otherClock = { now: 0, wall: 1_000 };
    const ownClock = { now: 0, wall: 86_400_000 };
    const other = registry(store, 'other', otherClock);
    const own = registry(store, 'own', ownClock);
    await other.register({ isLeader: false, epoch: 0 });
    await own.register({ isLeader: true, epoch: 1 });

    let workers = await own.activeWorkers();
    expect(workers.map((worker) => [worker.workerId, worker.liveness])).toEqual([
      ['other', 'unconfirmed'],
      ['own', 'alive'],
    ]);
    ownClock.now = 3000;
    await other.register({ isLeader: false, epoch: 1 }); // a refresh: the record changed
    workers = await own.activeWorkers();
    expect(workers.find((worker) => worker.workerId === 'other')?.liveness).toBe('alive');

    ownClock.now = 6999;
    expect(await own.findStale()).toEqual([]);
    ownClock.now = 7000; // unchanged for workerTimeout since it was seen changing at 3000
    expect(await own.findStale()).toEqual(['other']);
    expect((await own.activeWorkers()).map((worker) => worker.workerId)).toEqual(['own']);
    await own.remove(['other']);
    expect(await store.get(namespaceKeys('default').worker('other'))).toBeUndefined();
  });

  it('refreshes one heartbeat before three quarters of workerTimeout have passed', async () => {
    const clock = { now: 0, wall: 0 };
    const own = registry(new MemoryStore(), 'own', clock);
    expect(own.isRefreshDue).toBe(true);
    await own.register({ isLeader: false, epoch: 0 });
    clock.now = 1999;
    expect(own.isRefreshDue).toBe(false);
    clock.now = 2000; // + one heartbeat (1000) reaches 3000 = 3/4 of workerTimeout
    expect(own.isRefreshDue).toBe(true);
  });

  it('keeps a registration refreshed after it was judged stale, where deletes are conditional', async () => {
    const store = new MemoryStore();
    const otherClock = { now: 0, wall: 0 };
    const ownClock = { now: 0, wall: 0 };
    const other = registry(store, 'other', otherClock);
    const own = registry(store, 'own', ownClock);
    await other.register({ isLeader: false, epoch: 0 });
    await own.findStale();
    ownClock.now = 4000;
    expect(await own.findStale()).toEqual(['other']);
    await other.register({ isLeader: false, epoch: 0 }); // it was only slow
    await own.remove(['other']);
    expect(await store.get(namespaceKeys('default').worker('other'))).toBeDefined();
  });

  it('reports the highest epoch any registration carries', async () => {
    const store = new MemoryStore();
    const clock = { now: 0, wall: 0 };
    await registry(store, 'a', clock).register({ isLeader: false, epoch: 3 });
    await registry(store, 'b', clock).register({ isLeader: true, epoch: 9 });
    expect(await registry(store, 'c', clock).highestRegisteredEpoch()).toBe(9);
  });

  it('counts foreign and garbage objects in workers/ as nothing, never failing the epoch lookup', async () => {
    // A listing can show names no store accepts as a key (written by another tool, or through
    // another API): a backslash is one. Such an entry, garbage bytes and an epoch outside the
    // domain each cost only themselves.
    class ForeignEntryStore extends MemoryStore {
      override async list(options: ListOptions): Promise<ListPage> {
        const page = await super.list(options);
        const foreign = { key: 'plg_coordinator_global/default/workers/a\\b.json', etag: 'x', size: 1, lastModified: new Date(0) };
        return { ...page, entries: [...page.entries, foreign] };
      }
    }
    const store = new ForeignEntryStore();
    const clock = { now: 0, wall: 0 };
    await registry(store, 'a', clock).register({ isLeader: false, epoch: 7 });
    await store.put('plg_coordinator_global/default/workers/garbage.json', '{"format":');
    await store.put(
      'plg_coordinator_global/default/workers/huge.json',
      JSON.stringify({ format: 'baton.worker/v1', workerId: 'huge', namespace: 'default', epoch: Number.MAX_SAFE_INTEGER, isLeader: false }),
    );
    expect(await registry(store, 'c', clock).highestRegisteredEpoch()).toBe(7);
  });
});
