// Unsubscribing a plugin while its lease cycle is in flight leaves no lease behind. The fault: the
// unsubscribe (PluginLeadership.stop, hub.disconnect) comes right after subscribe, while the claim
// is still running and there is no term yet to release. PluginLease.close() waits for that cycle
// and releases what it brought, and GlobalCoordinator.stop() waits for closing leases, so the
// record ends released, the closed lease never leads, and a per-plugin hub takes over at once
// instead of waiting the orphaned lease out (4 x leaseTimeout).
import type { CoordinationMode } from '@baton/plugin';
import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderWorkPlugin } from './fixtures/leader-work-plugin';
import { connect, type Hub } from './hub';
import { parseLeaseRecord } from './lease-record';

const TIMINGS = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const KEY = 'plg_racer/coordinator/state.json';

/** Records who ran its leader work, at which epoch and when. */
class RacerPlugin extends LeaderWorkPlugin {
  constructor(process: string, runs: { process: string; epoch: number; at: number }[], coordinationMode: CoordinationMode = 'global') {
    super('racer', ({ epoch, signal }) => {
      if (!signal.aborted) runs.push({ process, epoch, at: Date.now() });
      return Promise.resolve();
    }, coordinationMode);
  }
}

/** The lease record's leader (`null`: released, or no record). */
async function recordedLeader(store: MemoryStore): Promise<string | null> {
  const stored = await store.get(KEY);
  if (stored === undefined) return null;
  const parsed = parseLeaseRecord(stored.body);
  if (!parsed.valid) throw new Error(`${KEY} is invalid: ${parsed.reason}`);
  return parsed.record.leader;
}

describe('unsubscribing while the plugin lease cycle is in flight', () => {
  it('unsubscribePlugin right after subscribe leaves the record released and the lease not leading', async () => {
    const store = new MemoryStore();
    const hub = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(hub);
    const coordinator = await hub.getGlobalCoordinator('default');
    expect(coordinator.isLeader).toBe(true);
    const plugin = { name: 'racer', onGlobalLeaderChange: () => undefined };
    coordinator.subscribePlugin(plugin, { ownLease: true }); // starts the claim at once
    const lease = coordinator.leadershipOf('racer');
    expect(coordinator.unsubscribePlugin('racer')).toBe(true); // closes the lease while the claim is in flight
    await sleep(300);
    expect(lease.isLeader, 'an unsubscribed lease still leads').toBe(false);
    expect(await recordedLeader(store), 'the record is still held by the unsubscribed lease').toBeNull();
  });

  it('a hub that disconnects right after usePlugin does not make a per-plugin hub wait 4 x leaseTimeout', async () => {
    const store = new MemoryStore();
    const runs: { process: string; epoch: number; at: number }[] = [];
    const shortLived = await connect(store, { globalCoordinator: TIMINGS });
    await shortLived.usePlugin(new RacerPlugin('short-lived', runs));
    await shortLived.disconnect(); // uninstall -> unsubscribe (release) while the claim is in flight
    const perPlugin = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(perPlugin);
    await perPlugin.usePlugin(new RacerPlugin('per-plugin', runs, 'per-plugin'));
    const stoppedAt = Date.now();
    const deadline = stoppedAt + 3000;
    while (!runs.some((run) => run.process === 'per-plugin') && Date.now() < deadline) await sleep(10);
    const taken = runs.find((run) => run.process === 'per-plugin');
    // Graceful stop promises a successor within heartbeatInterval plus one round trip.
    expect(taken, 'never took over').toBeDefined();
    expect((taken?.at ?? Infinity) - stoppedAt).toBeLessThan(4 * TIMINGS.heartbeatInterval);
  }, 10_000);
});
