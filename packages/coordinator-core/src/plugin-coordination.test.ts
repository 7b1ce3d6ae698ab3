import type { LeadershipChange, Logger } from '@baton/plugin';
import { AccessDeniedError, MemoryStore, UnsafeStoreError, type ObjectBody, type PutOptions } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Hub } from './hub';

const TIMINGS = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (first: string | object, second?: string) => void lines.push(typeof first === 'string' ? first : (second ?? ''));
  return { lines, debug: record, info: record, warn: record, error: record };
}

/** Refuses every write under the global coordinator's keys, as a too-narrow IAM policy would. */
class NarrowPolicyStore extends MemoryStore {
  override put(key: string, body: ObjectBody, options?: PutOptions) {
    if (key.startsWith('plg_coordinator_global/')) {
      return Promise.reject(new AccessDeniedError('Access Denied: allow s3:PutObject on plg_coordinator_global/*', { operation: 'put', key }));
    }
    return super.put(key, body, options);
  }
}

class QueuePlugin {
  readonly name = 'queue';
  readonly changes: LeadershipChange[] = [];
  constructor(readonly coordinationMode: 'global' | 'per-plugin' = 'global') {}
  onGlobalLeaderChange(change: LeadershipChange): void {
    this.changes.push(change);
  }
}

describe('plugin coordination', () => {
  it('uses the global coordinator and says so', async () => {
    const logger = capturingLogger();
    const store = new MemoryStore();
    const hub = await connect(store, { globalCoordinator: TIMINGS, logger });
    hubs.push(hub);
    const plugin = new QueuePlugin();
    await hub.usePlugin(plugin);
    expect(hub.coordination.get('queue')).toMatchObject({ mode: 'global', namespace: 'default' });
    expect(logger.lines).toContain("[QueuePlugin] Global coordination initialized for namespace 'default'");
    // It leads by its own lease, which the global leader claims right after subscribing it.
    // The plugin's own lease, numbered above the global term (epoch 1) it is held under.
    await expect.poll(() => plugin.changes.at(-1)).toMatchObject({ isLeader: true, epoch: 2 });
    expect(await store.get('plg_queue/coordinator/state.json')).toBeDefined();
  });

  it("falls back to the plugin's own election when the global coordinator cannot be obtained, with the guide's lines", async () => {
    const store = new NarrowPolicyStore();
    const logger = capturingLogger();
    const hub = await connect(store, { globalCoordinator: TIMINGS, logger });
    hubs.push(hub);
    const plugin = new QueuePlugin();
    await hub.usePlugin(plugin);

    const coordination = hub.coordination.get('queue');
    expect(coordination?.mode).toBe('per-plugin');
    expect(coordination?.fallbackReason).toMatch(/Access Denied/);
    expect(logger.lines).toContain('[QueuePlugin] Global coordinator unavailable, falling back to per-plugin mode');
    expect(logger.lines.some((line) => line.startsWith('[QueuePlugin] Failed to initialize global coordination: Cannot write to the store'))).toBe(true);
    expect(coordination?.coordinator._getStateKey()).toBe('plg_queue/coordinator/state.json');
    expect(await store.get('plg_queue/coordinator/state.json')).toBeDefined();
    expect(plugin.changes.at(-1)).toMatchObject({ isLeader: true });
    expect(logger.lines.some((line) => line.startsWith('[coordinator:queue] [queue] Leader changed: none →'))).toBe(true);
  });

  it('elects one leader per plugin among processes in per-plugin mode', async () => {
    const store = new MemoryStore();
    const plugins = [new QueuePlugin('per-plugin'), new QueuePlugin('per-plugin')];
    for (const plugin of plugins) {
      const hub = await connect(store, { globalCoordinator: TIMINGS });
      hubs.push(hub);
      await hub.usePlugin(plugin);
      expect(hub.coordination.get('queue')?.mode).toBe('per-plugin');
    }
    const leaders = hubs.map((hub) => hub.coordination.get('queue')?.coordinator.isLeader);
    expect(leaders.filter(Boolean)).toHaveLength(1);
    expect(await store.get('plg_coordinator_global/default/state.json')).toBeUndefined();
  });

  it('never falls back on a store that ignores conditional writes', async () => {
    class IgnoresConditions extends MemoryStore {
      override put(key: string, body: ObjectBody, options: PutOptions = {}) {
        return super.put(key, body, { signal: options.signal });
      }
    }
    const hub = await connect(new IgnoresConditions(), { globalCoordinator: TIMINGS });
    hubs.push(hub);
    await expect(hub.usePlugin(new QueuePlugin())).rejects.toThrow(UnsafeStoreError);
    expect(hub.coordination.size).toBe(0);
  });
});
