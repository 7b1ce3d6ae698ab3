import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, hubOn, quickDiagnose, RELAXED } from './test-support/hubs';

afterEach(disconnectAll);

describe('diagnose', () => {
  it('finds nothing wrong with a healthy namespace, in process and from outside', async () => {
    const store = new MemoryStore();
    const worker = await hubOn(store, RELAXED);
    const coordinator = await worker.getGlobalCoordinator('default');
    coordinator.subscribePlugin({ name: 'queue', onGlobalLeaderChange: () => undefined });
    const peer = await hubOn(store, RELAXED);
    await peer.getGlobalCoordinator('default');

    const inside = await quickDiagnose(worker, { windowMs: 400 });
    expect(inside.scope).toBe('in-process');
    expect(inside.findings).toEqual([]);
    expect(inside.exitCode).toBe(0);
    expect(inside.status).toBe('healthy');
    expect(inside.checks.every((check) => check.status === 'pass')).toBe(true);

    const outsider = await hubOn(store, RELAXED);
    const outside = await quickDiagnose(outsider);
    expect(outside.scope).toBe('store-only');
    expect(outside.findings).toEqual([]);
    expect(outside.checks.filter((check) => check.status === 'skipped').map((check) => check.id)).toEqual([
      'plugin-subscriptions',
      'coordination-fallback',
      'resource-growth',
      'metrics-progress',
    ]);
    // Scratch objects are cleaned up.
    const keys = (await store.list({ prefix: 'plg_coordinator_global/' })).entries.map((entry) => entry.key);
    expect(keys.filter((key) => key.includes('.diagnostics'))).toEqual([]);
  });
});
