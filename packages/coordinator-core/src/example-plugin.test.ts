import type { LeaderWorkContext, LeadershipChange } from '@baton/plugin';
import { MemoryStore } from '@baton/storage';
import { waitUntil } from '@tooling/test-support';
import { describe, expect, it } from 'vitest';
import { connect, type Hub, type HubPlugin } from './hub';
import { PluginLeadership } from './plugin-leadership';

// The plugin a README reader would write: leader-only work in well under 50 lines.
class TickPlugin implements HubPlugin {
  readonly name = 'ticks';
  readonly #leadership = new PluginLeadership(this, { intervalMs: 10, run: (context) => this.#tick(context) });

  constructor(readonly shared: { ticks: { worker: string; epoch: number }[] }) {}

  async install(hub: Hub): Promise<void> {
    await this.#leadership.start(hub); // global coordinator, or an own election as a fallback
  }

  uninstall(): Promise<void> {
    return this.#leadership.stop();
  }

  onGlobalLeaderChange(change: LeadershipChange): void {
    this.#leadership.onLeadershipChange(change);
  }

  stopLeaderWork({ signal }: { signal: AbortSignal }): Promise<void> {
    return this.#leadership.stopLeaderWork(signal);
  }

  #tick({ epoch, signal }: LeaderWorkContext): Promise<void> {
    signal.throwIfAborted(); // the fence: never act after leadership ended
    this.shared.ticks.push({ worker: this.#leadership.coordination?.coordinator.workerId ?? 'unknown', epoch });
    return Promise.resolve();
  }
}

describe('a leader-only plugin on PluginLeadership', () => {
  it('works only on the leader, hands over with the lease, and fences each term by its epoch', async () => {
    const store = new MemoryStore();
    const shared = { ticks: [] as { worker: string; epoch: number }[] };
    // A lease long enough that a loaded machine's stalls do not end a term: the only handover is
    // the disconnect's release, which a follower sees at its next 30 ms heartbeat.
    const options = { globalCoordinator: { heartbeatInterval: 30, leaseTimeout: 2000, workerTimeout: 3000 } };
    const hubs = [await connect(store, options), await connect(store, options)];
    try {
      for (const hub of hubs) await hub.usePlugin(new TickPlugin(shared));
      await waitUntil(() => shared.ticks.length >= 5);
      const first = new Set(shared.ticks.map((tick) => tick.worker));
      expect(first.size).toBe(1);
      // The plugin's lease is numbered above the global term it is held under (global epoch 1).
      const firstEpoch = shared.ticks[0]?.epoch ?? 0;
      expect(firstEpoch).toBeGreaterThan(1);
      expect(shared.ticks.every((tick) => tick.epoch === firstEpoch)).toBe(true);

      const [leaderHub] = await Promise.all(hubs.map(async (hub) => ((await hub.getGlobalCoordinator()).isLeader ? hub : undefined))).then((found) => found.filter(Boolean));
      const before = shared.ticks.length;
      await leaderHub?.disconnect();
      await waitUntil(() => shared.ticks.slice(before).filter((tick) => tick.epoch !== firstEpoch).length >= 5);
      // The old leader may tick while its disconnect stops its work, never once the next term began.
      const handover = shared.ticks.findIndex((tick, index) => index >= before && tick.epoch !== firstEpoch);
      expect(shared.ticks.slice(before, handover).every((tick) => tick.epoch === firstEpoch && first.has(tick.worker))).toBe(true);
      const after = shared.ticks.slice(handover);
      expect(new Set(after.map((tick) => tick.worker)).size).toBe(1);
      const secondEpoch = after[0]?.epoch ?? 0;
      expect(secondEpoch).toBeGreaterThan(firstEpoch);
      expect(after.every((tick) => tick.epoch === secondEpoch && !first.has(tick.worker))).toBe(true);
    } finally {
      await Promise.all(hubs.map((hub) => hub.disconnect()));
    }
  });
});
