import { connect, type Hub } from '@baton/coordinator-core';
import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { collectDiagnosticsBundle } from './bundle';
import { quickDiagnose } from './test-support/hubs';

let hub: Hub | undefined;
afterEach(async () => {
  await hub?.disconnect();
});

describe('collectDiagnosticsBundle', () => {
  it("holds the guide's Getting Help fields, with credentials masked", async () => {
    const store = new MemoryStore();
    // A store whose description carries a password, as a careless custom backend might.
    Object.defineProperty(store, 'description', { value: 's3://AKIAKEY:VerySecret99@bucket/x' });
    hub = await connect(store, { globalCoordinator: { heartbeatInterval: 100, leaseTimeout: 1000, workerTimeout: 1500 } });
    const coordinator = await hub.getGlobalCoordinator();
    await hub.usePlugin({ name: 'queue', onGlobalLeaderChange: () => undefined });
    const report = await quickDiagnose(hub, { probe: false });
    const bundle = await collectDiagnosticsBundle(hub, { report, secrets: ['AKIAKEY'] });
    expect(bundle).toMatchObject({
      format: 'baton.bundle/v1',
      coordinator: { running: true, workerId: coordinator.workerId, leader: coordinator.workerId, workers: [{ workerId: coordinator.workerId }] },
      plugins: [{ name: 'queue', coordinationMode: 'global', mode: 'global', fallbackReason: null }],
      subscribedPlugins: ['queue'],
      config: { leaseTimeout: 1000 },
      status: { lease: 'held' },
      report: { format: 'baton.diagnostics/v1' },
    });
    expect((bundle.coordinator?.metrics as { heartbeatCount: number }).heartbeatCount).toBeGreaterThan(0);
    const text = JSON.stringify(bundle);
    expect(text).not.toContain('VerySecret99');
    expect(text).not.toContain('AKIAKEY');
  });
});
