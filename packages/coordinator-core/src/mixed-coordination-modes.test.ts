import type { CoordinationMode } from '@baton/plugin';
import { AccessDeniedError, MemoryStore, type ObjectBody, type ObjectStore, type PutOptions } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderWorkLog, LeaderWorkPlugin } from './fixtures/leader-work-plugin';
import { connect, type Hub } from './hub';

const TIMINGS = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});

/** A leader-only plugin whose work takes a while and checks its signal, as real duties do. */
class SweepingPlugin extends LeaderWorkPlugin {
  constructor(process: string, log: LeaderWorkLog, coordinationMode: CoordinationMode = 'global') {
    super('sweeper', (context) => log.sweep(process, context), coordinationMode);
  }
}

/**
 * The shared store as seen by a process whose credentials may not write the global coordinator's
 * keys: its plugins fall back to per-plugin mode (a transient error no longer does, it is retried).
 */
class DeniedGlobalKeysStore implements ObjectStore {
  readonly capabilities: ObjectStore['capabilities'];
  readonly description = 'denied-global-keys://test';
  constructor(readonly inner: ObjectStore) {
    this.capabilities = inner.capabilities;
  }
  get: ObjectStore['get'] = (key, options) => this.inner.get(key, options);
  put(key: string, body: ObjectBody, options?: PutOptions) {
    if (key.startsWith('plg_coordinator_global/')) return Promise.reject(new AccessDeniedError('Access denied: allow s3:PutObject on plg_coordinator_global/*', { operation: 'put', key }));
    return this.inner.put(key, body, options);
  }
  delete: ObjectStore['delete'] = (key, options) => this.inner.delete(key, options);
  list: ObjectStore['list'] = (options) => this.inner.list(options);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a plugin leads in one process at a time, whatever mix of coordination modes the hubs are in', () => {
  it('one hub in global mode and one configured per-plugin: never both at once', async () => {
    const store = new MemoryStore();
    const log = new LeaderWorkLog();
    const first = await connect(store, { globalCoordinator: TIMINGS });
    const second = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(first, second);
    await first.usePlugin(new SweepingPlugin('global', log, 'global'));
    await second.usePlugin(new SweepingPlugin('per-plugin', log, 'per-plugin'));
    await sleep(1000);
    expect(log.runs).toBeGreaterThan(10);
    expect(log.overlaps).toBe(0);
    expect(new Set(log.epochs.map((entry) => entry.process)).size).toBe(1);
  });

  it('a hub that fell back (its global keys are denied) never leads beside the global leader', async () => {
    const store = new MemoryStore();
    const log = new LeaderWorkLog();
    const healthy = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(healthy);
    await healthy.usePlugin(new SweepingPlugin('healthy', log));
    const unlucky = await connect(new DeniedGlobalKeysStore(store), { globalCoordinator: TIMINGS });
    hubs.push(unlucky);
    await unlucky.usePlugin(new SweepingPlugin('unlucky', log));
    expect(unlucky.coordination.get('sweeper')?.mode).toBe('per-plugin');
    await sleep(1000);
    expect(log.runs).toBeGreaterThan(10);
    expect(log.overlaps).toBe(0);
    expect(new Set(log.epochs.map((entry) => entry.process))).toEqual(new Set(['healthy']));
  });

  it('the per-plugin hub takes the plugin over once the global fleet is gone, at a higher epoch', async () => {
    const store = new MemoryStore();
    const log = new LeaderWorkLog();
    const global = await connect(store, { globalCoordinator: TIMINGS });
    const perPlugin = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(perPlugin);
    await global.usePlugin(new SweepingPlugin('global', log, 'global'));
    await perPlugin.usePlugin(new SweepingPlugin('per-plugin', log, 'per-plugin'));
    await sleep(300);
    const globalEpochs = log.epochs.filter((entry) => entry.process === 'global').map((entry) => entry.epoch);
    expect(globalEpochs.length).toBeGreaterThan(0);
    await global.disconnect();
    const deadline = Date.now() + 5000;
    while (!log.epochs.some((entry) => entry.process === 'per-plugin') && Date.now() < deadline) await sleep(20);
    const taken = log.epochs.find((entry) => entry.process === 'per-plugin');
    expect(taken, 'the per-plugin hub never took over').toBeDefined();
    // One epoch domain per plugin, whatever the mode: the fence downstream sees epochs only rise.
    expect(taken?.epoch).toBeGreaterThan(Math.max(...globalEpochs));
    expect(log.overlaps).toBe(0);
  });
});
