// A request for a higher epoch that the election refuses costs no lease writes. LeaderWorkRunner
// asks after every failed run that met a higher epoch, so leader work that keeps meeting one
// corrupt record (leaderEpoch = MAX_EPOCH) asks at its run interval; GlobalCoordinator and
// PluginLease run an extra cycle (a PUT of the lease record) only for a request the election
// accepts, so in either mode such work writes the lease no more often than work that fails plainly.
import type { CoordinationMode } from '@baton/plugin';
import { MemoryStore, type ObjectBody, type PutOptions } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_EPOCH } from './epoch-ledger';
import { LeaderWorkPlugin } from './fixtures/leader-work-plugin';
import { connect, type Hub } from './hub';

const TIMINGS = { heartbeatInterval: 100, leaseTimeout: 600, workerTimeout: 800 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class CountingStore extends MemoryStore {
  puts = 0;
  override put(key: string, body: ObjectBody, options?: PutOptions) {
    if (key.endsWith('/coordinator/state.json')) this.puts += 1;
    return super.put(key, body, options);
  }
}

class FailingPlugin extends LeaderWorkPlugin {
  constructor(name: string, coordinationMode: CoordinationMode, error: () => Error) {
    super(name, ({ signal }) => (signal.aborted ? Promise.resolve() : Promise.reject(error())), coordinationMode);
  }
}

async function leaseWritesPerSecond(mode: 'global' | 'per-plugin', error: () => Error) {
  const store = new CountingStore();
  const hub = await connect(store, { globalCoordinator: TIMINGS });
  hubs.push(hub);
  await hub.usePlugin(new FailingPlugin('corrupt', mode, error));
  await sleep(200);
  const before = store.puts;
  await sleep(1000);
  return store.puts - before;
}

describe('requestEpochAbove write amplification', () => {
  it('per-plugin: a request the election ignores costs no lease writes', async () => {
    const plain = await leaseWritesPerSecond('per-plugin', () => new Error('boom'));
    const stale = await leaseWritesPerSecond('per-plugin', () => Object.assign(new Error('stale'), { code: 'STALE_EPOCH', highestEpoch: MAX_EPOCH }));
    expect(stale).toBeLessThanOrEqual(plain * 2);
  });
  it('global: a request the election ignores does not renew the plugin lease every heartbeat', async () => {
    const plain = await leaseWritesPerSecond('global', () => new Error('boom'));
    const stale = await leaseWritesPerSecond('global', () => Object.assign(new Error('stale'), { code: 'STALE_EPOCH', highestEpoch: MAX_EPOCH }));
    expect(stale).toBeLessThanOrEqual(plain * 1.5);
  });
});
