// A global leader that was frozen never leads its plugin after it resumes. The fault: the process
// stops (SIGSTOP: no timers run; or a suspended VM, where only the wall clock moves) while its
// plugin lease is still well within its own 4x deadline, and the new global leader takes the
// plugin's lease over at once (rule 6). PluginLease.isLeader is bound to the global term's renew
// deadline, so on resume, before any timer fires or cycle runs, it is false and the signal aborted.
import { MemoryStore } from '@baton/storage';
import type { Clock, TimerHandle, Timers } from '@baton/plugin';
import { describe, expect, it } from 'vitest';
import { resolveCoordinatorConfig } from './config';
import { LeaseElection } from './lease-election';
import { PluginLease } from './plugin-lease';
import { namespaceKeys, pluginElectionKeys } from './storage-keys';

class SplitClock implements Clock {
  monotonic = 0;
  wall = 1_800_000_000_000;
  monotonicNow() {
    return this.monotonic;
  }
  wallNow() {
    return this.wall;
  }
  advance(ms: number, { wallOnly = false } = {}) {
    if (!wallOnly) this.monotonic += ms;
    this.wall += ms;
  }
}

/** Timers that never fire: the process is frozen, or its event loop is stalled. */
const frozenTimers: Timers = { setTimeout: (): TimerHandle => ({}), clearTimeout: () => undefined };

const config = resolveCoordinatorConfig({ heartbeatInterval: 1000, leaseTimeout: 3000, workerTimeout: 4000 });

function processOn(store: MemoryStore, workerId: string) {
  const clock = new SplitClock();
  const global = new LeaseElection({ store, key: namespaceKeys('default').state, ledgerKey: namespaceKeys('default').epochLedger, namespace: 'default', workerId, config, clock, timers: frozenTimers });
  const lease = new PluginLease({
    pluginName: 'sweeper',
    keys: pluginElectionKeys('sweeper'),
    store,
    namespace: 'default',
    workerId,
    config,
    clock,
    timers: frozenTimers,
    globalTerm: () => (global.isLeader ? { namespace: 'default', epoch: global.epoch } : undefined),
    onChange: () => undefined,
  });
  return { clock, global, lease };
}

describe('global failover while the old global leader is frozen', () => {
  for (const how of ['monotonic clock runs during the pause (SIGSTOP)', 'only the wall clock runs (suspended VM)'] as const) {
    it(`the old leader never leads the plugin after resuming: ${how}`, async () => {
      const store = new MemoryStore();
      const a = processOn(store, 'a');
      const b = processOn(store, 'b');
      expect((await a.global.runCycle()).kind).toBe('acquired');
      // A plugin's epochs are numbered above the global term they are held under.
      expect(await a.lease.runCycle(new AbortController().signal)).toMatchObject({ kind: 'acquired', epoch: 2 });
      const signal = a.lease.leadershipSignal();
      expect(a.lease.isLeader).toBe(true);
      expect(signal?.aborted).toBe(false);

      // a freezes. b waits the global lease out and takes the plugin lease over at once.
      expect((await b.global.runCycle()).kind).toBe('following');
      b.clock.advance(3000);
      expect(await b.global.runCycle()).toMatchObject({ kind: 'acquired', epoch: 2 });
      expect(await b.lease.runCycle(new AbortController().signal)).toMatchObject({ kind: 'acquired', epoch: 3 });
      expect(b.lease.isLeader).toBe(true);

      // a resumes: its clocks moved on, no timer has fired, no cycle has run.
      a.clock.advance(3000, { wallOnly: how.startsWith('only') });
      expect(a.lease.isLeader).toBe(false);
      expect(signal?.aborted).toBe(true);
      expect(a.lease.leadershipSignal()).toBeUndefined();
    });
  }

  it('global term lapses while the plugin lease is within its own (4x) deadline: plugin leadership drops at once', async () => {
    const store = new MemoryStore();
    const a = processOn(store, 'a');
    await a.global.runCycle();
    await a.lease.runCycle(new AbortController().signal);
    const signal = a.lease.leadershipSignal();
    a.clock.advance(config.renewDeadline); // global deadline reached; plugin deadline is 4x away
    expect(a.lease.isLeader).toBe(false);
    expect(signal?.aborted).toBe(true);
  });
});
