import { namespaceKeys } from '@baton/coordinator-core';
import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose } from '../test-support/hubs';

afterEach(disconnectAll);

describe('key-collisions (guide section 10)', () => {
  it("finds one namespace's lease in another's folder, and the same leader in both", async () => {
    const store = new MemoryStore();
    await (await hubOn(store)).getGlobalCoordinator('namespace-b');
    const state = await store.get(namespaceKeys('namespace-b').state);
    await store.put(namespaceKeys('namespace-a').state, state?.body ?? '');
    const report = await quickDiagnose(await hubOn(store), { namespace: 'namespace-a' });
    expect(findingOf(report, 'key-collisions.foreign-lease-record').evidence).toMatchObject({ folder: 'namespace-a', recordNamespace: 'namespace-b' });
    expect(findingOf(report, 'key-collisions.shared-leader').evidence.namespaces).toEqual(['namespace-a', 'namespace-b']);
  });

  it('cannot be given a per-plugin election on a global namespace key: the core refuses the plugin name', async () => {
    const hub = await hubOn(new MemoryStore());
    await hub.getGlobalCoordinator('coordinator');
    // plg_<plugin>/coordinator/ for a plugin named "coordinator_global" would be plg_coordinator_global/coordinator/.
    await expect(hub.usePlugin({ name: 'coordinator_global', coordinationMode: 'per-plugin' })).rejects.toThrow(/global coordinators' folder/);
    expect(problems(await quickDiagnose(hub, { namespace: 'coordinator' }))).toEqual([]);
  });
});
