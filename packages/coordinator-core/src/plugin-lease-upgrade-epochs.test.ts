// A global-mode plugin's fences see its epochs rise across the upgrade from main, which fenced it
// with the namespace's global epochs. The fault: the namespace's ledger left at 57 by a long life
// on main, and no plugin ledger yet. Plugin epochs are numbered above the global term they are
// held under, so the first plugin term after the upgrade is above 57, and a fence that remembers
// 57 (a DB column, another service) accepts it rather than refusing every run.
import type { LeadershipChange } from '@baton/plugin';
import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { reserveEpoch } from './epoch-ledger';
import { connect, type Hub } from './hub';
import { namespaceKeys } from './storage-keys';

const TIMINGS = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});

describe('plugin epochs across the upgrade from main', () => {
  it('the first plugin term after the upgrade is above the global epochs main fenced the plugin with', async () => {
    const store = new MemoryStore();
    // What main left behind: the namespace's ledger at 57 (the plugin was fenced with 1..57).
    await reserveEpoch(store, namespaceKeys('default').epochLedger, { kind: 'missing' }, { namespace: 'default', epoch: 57, leaseTimeout: 300, reservedBy: 'main-version', reservedAt: 0 });
    const hub = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(hub);
    const changes: LeadershipChange[] = [];
    await hub.usePlugin({ name: 'sweeper', onGlobalLeaderChange: (change: LeadershipChange) => void changes.push(change) });
    await expect.poll(() => changes.some((change) => change.isLeader), { timeout: 3000 }).toBe(true);
    const led = changes.find((change) => change.isLeader);
    expect(led?.epoch).toBeGreaterThan(57);
  });
});
