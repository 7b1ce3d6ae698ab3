// The same plugin name in two namespaces on one bucket has one leader overall, and the other
// namespace's global leader says so once. plg_<plugin> is keyed by plugin name only (so is the
// plugin's data, so one leader is right), so the global leaders of namespaces a and b contend for
// one lease record. b's leader, checking it every heartbeat, logs who leads the plugin once per
// holder change, naming the holder's global term and namespace, not an election of its own.
import type { Logger } from '@baton/plugin';
import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderWorkPlugin } from './fixtures/leader-work-plugin';
import { connect, type Hub } from './hub';

// Timings with room for a loaded machine's stalls: a stall past the renew deadline hands the
// plugin over legitimately, which this test would count as a second leader.
const TIMINGS = { heartbeatInterval: 100, leaseTimeout: 3000, workerTimeout: 3500 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function warnings(): Logger & { warns: string[] } {
  const warns: string[] = [];
  const ignore = () => undefined;
  return { warns, debug: ignore, info: ignore, error: ignore, warn: (first: string | object, second?: string) => void warns.push(second ?? (typeof first === 'string' ? first : JSON.stringify(first))) };
}

/** Records its namespace on every run of its leader work. */
class Sweeper extends LeaderWorkPlugin {
  constructor(namespace: string, runs: string[]) {
    super('sweeper', ({ signal }) => {
      if (!signal.aborted) runs.push(namespace);
      return Promise.resolve();
    });
  }
}

describe('the same plugin name in two namespaces', () => {
  it('one leader overall; the other namespace\'s global leader warns once, not every heartbeat', async () => {
    const store = new MemoryStore();
    const runs: string[] = [];
    const loggerB = warnings();
    const hubA = await connect(store, { globalCoordinator: TIMINGS });
    const hubB = await connect(store, { globalCoordinator: TIMINGS, logger: loggerB });
    hubs.push(hubA, hubB);
    await hubA.usePlugin(new Sweeper('a', runs));
    await hubB.usePlugin(new Sweeper('b', runs));
    await sleep(1000);
    const ledBy = loggerB.warns.filter((line) => line.includes('Plugin sweeper is led by'));
    expect(new Set(runs).size).toBe(1); // one leader
    expect(ledBy.length, 'warning on every heartbeat').toBeLessThanOrEqual(1);
    for (const line of ledBy) expect(line, 'a global holder named as a per-plugin election').toMatch(/ for its global term \d+ of namespace a;/);
  });
});
