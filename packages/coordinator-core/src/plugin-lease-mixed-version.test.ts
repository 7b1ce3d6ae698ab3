// A process that runs a plugin's leader work itself, by the plugin README's "Without the hub"
// recipe, never leads it beside a per-plugin hub. The recipe runs its LeaderWorkRunner on
// coordinator.leadershipOf(plugin.name): the plugin's own lease, which the namespace's coordinator
// holds while it leads (ownLease is the default there), so both processes compete for the one
// record plg_<plugin>/coordinator/state.json instead of one leading by the global term alone.
import { LeaderWorkRunner } from '@baton/plugin';
import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderWorkLog, LeaderWorkPlugin } from './fixtures/leader-work-plugin';
import { connect, type Hub } from './hub';

const TIMINGS = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a process running the plugin by the README recipe, without the hub', () => {
  it('never runs the plugin beside a per-plugin hub', async () => {
    const store = new MemoryStore();
    const log = new LeaderWorkLog();
    // Process 1: the plugin README's "Without the hub" recipe.
    const oldStyle = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(oldStyle);
    const coordinator = await oldStyle.getGlobalCoordinator('default');
    // The recipe: the plugin's leadership is its lease, held by the namespace's coordinator.
    const recipe: { runner?: LeaderWorkRunner } = {};
    coordinator.subscribePlugin({ name: 'sweeper', onGlobalLeaderChange: (change) => recipe.runner?.onLeadershipChange(change), stopLeaderWork: ({ signal }) => recipe.runner?.stop({ signal }) ?? Promise.resolve() });
    recipe.runner = new LeaderWorkRunner(coordinator.leadershipOf('sweeper'), { name: 'sweeper', intervalMs: 5, run: (context) => log.sweep('global-term', context) });
    // Process 2: this version, per-plugin.
    const perPlugin = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(perPlugin);
    await perPlugin.usePlugin(new LeaderWorkPlugin('sweeper', (context) => log.sweep('per-plugin', context), 'per-plugin'));
    await sleep(800);
    const processes = new Set(log.epochs.map((entry) => entry.process));
    expect(log.overlaps, 'two processes inside the plugin\'s leader work at once').toBe(0);
    expect(processes.size).toBe(1);
  });
});
