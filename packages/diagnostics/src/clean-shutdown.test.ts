import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanShutdown } from './clean-shutdown';
import { disconnectAll, hubOn } from './test-support/hubs';

afterEach(disconnectAll);

describe('cleanShutdown', () => {
  it('stops, releases and clears every coordinator, and the follower takes over', async () => {
    const store = new MemoryStore();
    const hub = await hubOn(store);
    const leader = await hub.getGlobalCoordinator();
    leader.on('leader:changed', () => undefined);
    await hub.usePlugin({ name: 'queue', onGlobalLeaderChange: () => undefined });
    await hub.usePlugin({ name: 'ttl', coordinationMode: 'per-plugin' });
    const follower = await (await hubOn(store)).getGlobalCoordinator();

    const report = await cleanShutdown(hub);
    expect(report.clean).toBe(true);
    expect(report.coordinators.map(({ scope, name }) => `${scope}:${name}`)).toEqual(['global:default', 'per-plugin:ttl']);
    expect(hub.isConnected()).toBe(false);
    await follower._heartbeatCycle();
    expect(follower.isLeader).toBe(true);
  });
});
