import { AccessDeniedError, MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { connect } from './hub';

describe('Hub.startedCoordinators', () => {
  it('lists started coordinators (global, then per-plugin) without starting any, and leaves out failed starts', async () => {
    const store = new MemoryStore();
    const put = store.put.bind(store);
    store.put = (key, body, options) => (key.startsWith('plg_coordinator_global/broken/') ? Promise.reject(new AccessDeniedError('denied', { operation: 'put', key })) : put(key, body, options));
    const hub = await connect(store, { globalCoordinator: { heartbeatInterval: 50, leaseTimeout: 300, workerTimeout: 300 } });
    try {
      expect(await hub.startedCoordinators()).toEqual([]);
      const jobs = await hub.getGlobalCoordinator('jobs');
      await hub.usePlugin({ name: 'ttl', coordinationMode: 'per-plugin' });
      await expect(hub.getGlobalCoordinator('broken')).rejects.toThrow();
      const started = await hub.startedCoordinators();
      expect(started.map(({ scope, name }) => `${scope}:${name}`)).toEqual(['global:jobs', 'per-plugin:ttl']);
      expect(started[0]?.coordinator).toBe(jobs);
    } finally {
      await hub.disconnect();
    }
  });
});
