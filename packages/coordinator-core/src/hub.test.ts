import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, NotFoundError } from '@baton/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { CoordinatorConfigError } from './config';
import { connect } from './hub';

const scratch = mkdtempSync(join(tmpdir(), 'baton-hub-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('connect', () => {
  it('opens a connection string and plays the guide database role', async () => {
    const database = await connect(`file://${scratch}/data`);
    try {
      expect(database.isConnected()).toBe(true);
      expect(database.bucket).toBe(`file://${scratch}/data`);
      expect(database.keyPrefix).toBe('');
      // Solution C of the guide: write then read.
      const testKey = 'plg_coordinator_global/test-consistency.json';
      await database.client.putObject({ key: testKey, body: 'test' });
      const result = await database.client.getObject(testKey);
      expect(result.body === 'test').toBe(true);
      await database.client.delete(testKey);
      await expect(database.client.getObject(testKey)).rejects.toThrow(NotFoundError);
    } finally {
      await database.disconnect();
    }
  });

  it('rejects invalid timing combinations before touching the store, naming the field', async () => {
    await expect(connect(new MemoryStore(), { globalCoordinator: { heartbeatInterval: 20_000 } })).rejects.toThrow(CoordinatorConfigError);
    await expect(connect(new MemoryStore(), { globalCoordinator: { heartbeatInterval: 20_000 } })).rejects.toThrow(/globalCoordinator\.heartbeatInterval/);
  });

  it('rejects bad connection strings with the store error', async () => {
    await expect(connect('ftp://nowhere')).rejects.toThrow(/Unsupported connection string/);
  });

  it('installs plugins with their own install step or by subscription, once each', async () => {
    const hub = await connect(new MemoryStore(), { globalCoordinator: { heartbeatInterval: 50, leaseTimeout: 300, workerTimeout: 300 } });
    try {
      const installed: string[] = [];
      await hub.usePlugin({ name: 'custom', install: (target) => void installed.push(String(target === hub)) });
      await hub.usePlugin({ name: 'subscriber', namespace: 'jobs' });
      expect(installed).toEqual(['true']);
      expect([...(await hub.getGlobalCoordinator('jobs')).subscribedPlugins.keys()]).toEqual(['subscriber']);
      await expect(hub.usePlugin({ name: 'custom' })).rejects.toThrow(/already installed/);
    } finally {
      await hub.disconnect();
    }
  });

  it('retries a coordinator whose start failed', async () => {
    const store = new MemoryStore();
    let failNext = true;
    const original = store.put.bind(store);
    store.put = (key, body, options) => {
      if (failNext && key.includes('/workers/')) {
        failNext = false;
        return Promise.reject(new Error('Access Denied'));
      }
      return original(key, body, options);
    };
    const hub = await connect(store, { globalCoordinator: { heartbeatInterval: 50, leaseTimeout: 300, workerTimeout: 300 } });
    try {
      await expect(hub.getGlobalCoordinator()).rejects.toThrow('Access Denied');
      expect((await hub.getGlobalCoordinator()).isRunning).toBe(true);
    } finally {
      await hub.disconnect();
    }
  });

  it('rejects a misspelt option block, naming it and the nearest valid one', async () => {
    await expect(connect(new MemoryStore(), { globalCoordinatr: {} } as never)).rejects.toThrow(CoordinatorConfigError);
    await expect(connect(new MemoryStore(), { globalCoordinatr: {} } as never)).rejects.toThrow(/Invalid globalCoordinatr .*did you mean globalCoordinator/);
  });
});
