import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose } from '../test-support/hubs';

afterEach(disconnectAll);

describe('plugin-subscriptions (guide section 5)', () => {
  it('finds a global-mode plugin that never subscribed, and a subscriber without a callback', async () => {
    const hub = await hubOn(new MemoryStore());
    const coordinator = await hub.getGlobalCoordinator();
    // Installed, global by default, but its install step forgot hub.coordinate(this).
    await hub.usePlugin({ name: 'queue', install: () => undefined });
    coordinator.subscribePlugin({ name: 'ttl' });
    const report = await quickDiagnose(hub);
    const finding = findingOf(report, 'plugin-subscriptions.not-subscribed');
    expect(finding.evidence).toMatchObject({ plugins: ['queue'], subscribed: ['ttl'] });
    expect(finding.severity).toBe('warning');
    expect(findingOf(report, 'plugin-subscriptions.no-callback').evidence.plugins).toEqual(['ttl']);
  });

  it('reports a coordinator no installed plugin follows', async () => {
    const hub = await hubOn(new MemoryStore());
    await hub.getGlobalCoordinator();
    await hub.usePlugin({ name: 'other', namespace: 'elsewhere' });
    const report = await quickDiagnose(hub);
    expect(findingOf(report, 'plugin-subscriptions.none-subscribed').severity).toBe('info');
  });
});
