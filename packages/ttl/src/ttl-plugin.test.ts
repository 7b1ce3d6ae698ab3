import { connect, type Hub } from '@baton/coordinator-core';
import { AccessDeniedError, MemoryStore, type ObjectBody, type ObjectStore, type PutOptions, type PutResult } from '@baton/storage';
import { PausingStore } from './test-support/store-wrappers';
import { waitUntil } from '@tooling/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { TTLPlugin, type TTLPluginOptions } from './ttl-plugin';

const TIMINGS = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});

async function member(store: ObjectStore, options: TTLPluginOptions): Promise<{ hub: Hub; plugin: TTLPlugin }> {
  const hub = await connect(store, { globalCoordinator: TIMINGS });
  hubs.push(hub);
  const plugin = new TTLPlugin(options);
  await hub.usePlugin(plugin);
  return { hub, plugin };
}

/** Refuses every write under the global coordinator's keys, as a too-narrow IAM policy would. */
class NarrowPolicyStore extends MemoryStore {
  override put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult> {
    if (key.startsWith('plg_coordinator_global/')) return Promise.reject(new AccessDeniedError('Access Denied', { operation: 'put', key }));
    return super.put(key, body, options);
  }
}

async function isLeader(hub: Hub): Promise<boolean> {
  return (await hub.getGlobalCoordinator()).isLeader;
}

describe('TTLPlugin on a hub', () => {
  it('is subscribed to the global coordinator and only the leader sweeps', async () => {
    const store = new MemoryStore();
    const members = [await member(store, { collection: 'sessions', sweepIntervalMs: 20 }), await member(store, { collection: 'sessions', sweepIntervalMs: 20 })];
    const coordinator = await members[0]?.hub.getGlobalCoordinator();
    expect([...(coordinator?.subscribedPlugins.keys() ?? [])]).toEqual(['ttl-sessions']);
    expect(members[0]?.hub.coordination.get('ttl-sessions')?.mode).toBe('global');
    const sweptBy = new Set<number>();
    members.forEach(({ plugin }, index) => plugin.onSweep(() => sweptBy.add(index)));
    await members[1]?.plugin.set('user:1', { name: 'ada' }, { ttlMs: 100 });
    expect(await members[0]?.plugin.get('user:1')).toMatchObject({ value: { name: 'ada' } });
    await waitUntil(() => (members[0]?.plugin.getMetrics().expired['hard-delete'] ?? 0) + (members[1]?.plugin.getMetrics().expired['hard-delete'] ?? 0) === 1, 5000);
    const leaders = await Promise.all(members.map(({ hub }) => isLeader(hub)));
    expect([...sweptBy]).toEqual([leaders.indexOf(true)]);
    expect(await store.get('ttl/sessions/records/user%3A1')).toBeUndefined();
  });

  it('falls back to its own election when the global coordinator cannot be obtained, and sweeps there', async () => {
    const { hub, plugin } = await member(new NarrowPolicyStore(), { collection: 'carts', sweepIntervalMs: 20 });
    expect(hub.coordination.get('ttl-carts')).toMatchObject({ mode: 'per-plugin', fallbackReason: expect.stringMatching(/Access Denied/) as unknown });
    await plugin.set('k', 1, { ttlMs: 50 });
    await waitUntil(() => plugin.getMetrics().expired['hard-delete'] === 1, 5000);
  });

  it('runs per-plugin when asked to', async () => {
    const { hub, plugin } = await member(new MemoryStore(), { coordinationMode: 'per-plugin', sweepIntervalMs: 20 });
    expect(hub.coordination.get('ttl')?.mode).toBe('per-plugin');
    await plugin.set('k', 1, { ttlMs: 50 });
    await waitUntil(() => plugin.getMetrics().expired['hard-delete'] === 1, 5000);
  });

  it.each([
    ['with conditional DELETE', (): ObjectStore => new MemoryStore()],
    ['without conditional DELETE (tombstones)', (): ObjectStore => new PausingStore(new MemoryStore(), { conditionalDelete: false })],
  ])('leadership moving mid-sweep: every callback record is processed exactly once (%s)', async (_label, createStore) => {
    const store = createStore();
    const calls = new Map<string, number[]>();
    // From the 10th record on, callbacks hold until their signal aborts (the leader stops) or the
    // test lets them go: the first leader cannot get through all 40 before leadership moves,
    // however fast or slow the machine runs.
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    const options = (index: number): TTLPluginOptions => ({
      collection: 'jobs',
      strategy: 'callback',
      sweepIntervalMs: 20,
      sweepConcurrency: 2,
      onExpire: async ({ key }, { signal }) => {
        calls.set(key, [...(calls.get(key) ?? []), index]);
        if (calls.size >= 10 && !signal.aborted) await Promise.race([gate, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
        await new Promise((resolve) => setTimeout(resolve, 15)); // then ignores the abort signal on purpose
        return 'delete' as const;
      },
    });
    const members = [await member(store, options(0)), await member(store, options(1))];
    const keys = Array.from({ length: 40 }, (_value, index) => `record-${String(index).padStart(2, '0')}`);
    for (const key of keys) await members[0]?.plugin.set(key, key, { ttlMs: 100 });
    const leaderIndex = (await isLeader(members[0]?.hub as Hub)) ? 0 : 1;
    await waitUntil(() => calls.size >= 10, 10_000);
    await members[leaderIndex]?.hub.disconnect(); // mid-sweep: aborts it between records
    // Counted by who ran them: the successor may already have begun (its callbacks hold at the gate).
    const handledByFirst = [...calls.values()].filter((workers) => workers.includes(leaderIndex)).length;
    expect(handledByFirst).toBeLessThan(keys.length);
    letGo();
    await waitUntil(() => calls.size === keys.length, 10_000);
    const successor = members[1 - leaderIndex]?.plugin;
    await waitUntil(() => successor?.getMetrics().expired.callback === keys.length - handledByFirst, 10_000);
    // Done markers are deleted in a batch at the end of each page: wait for the sweep to end.
    const sweepsSoFar = successor?.getMetrics().sweeps ?? 0;
    await waitUntil(() => (successor?.getMetrics().sweeps ?? 0) > sweepsSoFar, 10_000);
    expect([...calls.values()].every((workers) => workers.length === 1)).toBe(true);
    expect(new Set([...calls.values()].flat())).toEqual(new Set([0, 1]));
    const left = await store.list({ prefix: 'ttl/jobs/' });
    expect(left.entries).toEqual([]);
  });
});
