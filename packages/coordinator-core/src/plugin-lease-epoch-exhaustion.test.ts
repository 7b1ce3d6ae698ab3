// A record carrying an epoch near 2^40 cannot exhaust the plugin's epoch domain. Leader work whose
// fence meets such a record (a hand edit, a bug, a corrupt write) asks for a term above it, but the
// term moves only by at most MAX_EPOCH_JUMP (2^24) and never into the last MAX_EPOCH_JUMP below
// MAX_EPOCH: the request is refused, and after a graceful failover of the global leader the
// surviving hub still leads the plugin.
import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_EPOCH } from './epoch-ledger';
import { LeaderWorkPlugin } from './fixtures/leader-work-plugin';
import { connect, type Hub } from './hub';

const TIMINGS = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Leader work whose fence once meets a corrupt record with a near-maximal epoch. */
class PoisonedPlugin extends LeaderWorkPlugin {
  constructor(process: string, runs: { process: string; epoch: number }[], poison: { left: number }) {
    super('poisoned', ({ epoch, signal }) => {
      if (signal.aborted) return Promise.resolve();
      runs.push({ process, epoch });
      if (poison.left <= 0) return Promise.resolve();
      poison.left -= 1;
      // What queue/TTL StaleEpochError looks like when a record's leaderEpoch is corrupt.
      return Promise.reject(Object.assign(new Error('stale'), { code: 'STALE_EPOCH', epoch, highestEpoch: MAX_EPOCH - 1 }));
    });
  }
}

describe('requestEpochAbove and epoch exhaustion', () => {
  it('one corrupt record must not leave the plugin leaderless forever after the next failover', async () => {
    const store = new MemoryStore();
    const runs: { process: string; epoch: number }[] = [];
    const poison = { left: 1 };
    const first = await connect(store, { globalCoordinator: TIMINGS });
    const second = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(second);
    await first.usePlugin(new PoisonedPlugin('first', runs, poison));
    await second.usePlugin(new PoisonedPlugin('second', runs, poison));
    await sleep(500);
    // Graceful failover of the global leader.
    await first.disconnect();
    const before = runs.length;
    await sleep(3000); // > 4 x leaseTimeout + heartbeats: any wait is over
    const afterFailover = runs.slice(before).filter((run) => run.process === 'second');
    expect(afterFailover.length, 'the surviving hub never ran the plugin again: epochs exhausted').toBeGreaterThan(0);
  }, 10_000);
});
