import { COORDINATOR_ROOT, namespaceKeys } from '@baton/coordinator-core';
import { AccessDeniedError, MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose, skippedReason } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

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

  it("finds registrations of another namespace in a namespace's workers folder", async () => {
    const store = new MemoryStore();
    await (await hubOn(store)).getGlobalCoordinator('namespace-a');
    const stray = { format: 'baton.worker/v1', workerId: 'gcs-b-1', namespace: 'namespace-b', hostname: 'host', pid: 1, startedAt: 0, lastHeartbeat: Date.now(), sequence: 1, isLeader: false, epoch: 1 };
    await store.put(namespaceKeys('namespace-a').worker('gcs-b-1'), JSON.stringify(stray));
    const report = await quickDiagnose(await hubOn(store), { namespace: 'namespace-a' });
    const finding = findingOf(report, 'key-collisions.foreign-registrations');
    expect(finding.severity).toBe('error');
    expect(finding.evidence).toEqual({ folder: 'namespace-a', registrations: [{ workerId: 'gcs-b-1', namespace: 'namespace-b' }] });
  });

  it('skips, naming the error, when the coordinators\' root cannot be listed from outside a worker', async () => {
    const store = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'list' && key === `${COORDINATOR_ROOT}/`) throw new AccessDeniedError('Access Denied', { operation, key });
      },
    });
    const report = await quickDiagnose(await hubOn(store));
    expect(skippedReason(report, 'key-collisions')).toMatch(new RegExp(`^cannot list ${COORDINATOR_ROOT}/: Access Denied`));
    expect(report.findings.filter((entry) => entry.check === 'key-collisions')).toEqual([]);
  });
});
