import { describe, expect, it } from 'vitest';
import {
  abortsSignalOnlyByTimer,
  checksLeadershipOnlyAtStart,
  hidesNamespaceHistory,
  ignoresHigherEpochs,
  judgesLeasesByWallClock,
  readsLeaseLate,
  treatsRefusalAsWin,
} from './planted-bugs';
import { simulateCluster, type ClusterScenarioOptions, type ClusterVariant, type PluginModes } from './simulate-cluster';
import type { InvariantName } from './ground-truth';

/**
 * Runs seeds until one breaks `invariant` (the first violation of a seed stops it); returns that
 * seed, or undefined after `limit` seeds.
 */
async function seedBreaking(invariant: InvariantName, variant: ClusterVariant, limit: number, scenario: Partial<ClusterScenarioOptions> = {}): Promise<number | undefined> {
  for (let seed = 1; seed <= limit; seed += 1) {
    const result = await simulateCluster({ ...scenario, seed, variant });
    if (result.violations[0]?.invariant === invariant) return seed;
  }
  return undefined;
}

async function violationsOf(variant: ClusterVariant, seeds: number, scenario: Partial<ClusterScenarioOptions> = {}): Promise<string[]> {
  const found: string[] = [];
  for (let seed = 1; seed <= seeds; seed += 1) {
    const [violation] = (await simulateCluster({ ...scenario, seed, variant })).violations;
    if (violation !== undefined) found.push(`seed ${seed}: ${violation.invariant}: ${violation.detail}`);
  }
  return found;
}

describe('the simulator catches a planted bug by the invariant it breaks', () => {
  it('single-leader: a coordinator that judges leases by the wall clock', async () => {
    expect(await seedBreaking('single-leader', judgesLeasesByWallClock, 200)).toBeDefined();
  }, 120_000);

  it('single-leader: a leadership signal aborted only by its timer, read by work that checks only the signal', async () => {
    expect(await seedBreaking('single-leader', abortsSignalOnlyByTimer, 300)).toBeDefined();
  }, 120_000);

  it('epoch-order: a coordinator that treats a refused write (412) as a win announces terms the store never gave', async () => {
    expect(await seedBreaking('epoch-order', treatsRefusalAsWin, 200)).toBeDefined();
  }, 120_000);

  it('epoch-order: a coordinator blind to the epoch ledger and registrations reuses epochs after state.json is deleted', async () => {
    const chaos = ['delete-record-and-start-worker', 'graceful-stop', 'restart'] as const;
    expect(await seedBreaking('epoch-order', hidesNamespaceHistory, 100, { operator: true, chaos })).toBeDefined();
  }, 120_000);

  it('fencing: leader work that checks leadership only before its slow step acts after its successor began', async () => {
    expect(await seedBreaking('fencing', checksLeadershipOnlyAtStart, 300)).toBeDefined();
  }, 120_000);

  it('failover-bound: followers that read the lease record late take over too late', async () => {
    expect(await seedBreaking('failover-bound', readsLeaseLate, 300, { storeMode: 'healthy' })).toBeDefined();
  }, 120_000);

  it('leader-work-recovers: leader work that ignores a record of a higher epoch wedges', async () => {
    expect(await seedBreaking('leader-work-recovers', ignoresHigherEpochs, 300, { storeMode: 'healthy', operator: true })).toBeDefined();
  }, 120_000);
});

describe('the real coordinator', () => {
  it('holds every invariant on the seeds that expose the planted bugs', async () => {
    expect(await violationsOf({}, 200)).toEqual([]);
  }, 300_000);

  for (const pluginModes of ['global', 'per-plugin', 'mixed'] as PluginModes[]) {
    it(`holds every invariant with an operator at work and the plugin in ${pluginModes} mode`, async () => {
      expect(await violationsOf({}, 100, { operator: true, pluginModes })).toEqual([]);
    }, 300_000);
  }
});
