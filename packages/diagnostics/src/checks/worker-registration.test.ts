import { LEASE_RECORD_FORMAT, namespaceKeys, type WorkerRecord } from '@baton/coordinator-core';
import { AccessDeniedError, MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);
const keys = namespaceKeys('default');

describe('worker-registration (guide section 4)', () => {
  it('finds registrations not refreshed for workerTimeout (a worker that died without unregistering)', async () => {
    const store = new MemoryStore();
    await (await hubOn(store)).getGlobalCoordinator();
    const dead: WorkerRecord = { format: 'baton.worker/v1', workerId: 'gcs-default-1-dead', namespace: 'default', hostname: 'gone', pid: 9, startedAt: 0, lastHeartbeat: 0, sequence: 3, isLeader: false, epoch: 1 };
    await store.put(keys.worker(dead.workerId), JSON.stringify(dead));
    await new Promise((resolve) => setTimeout(resolve, 450));
    const report = await quickDiagnose(await hubOn(store));
    const finding = findingOf(report, 'worker-registration.expired');
    expect(finding.evidence.workers).toEqual([expect.objectContaining({ workerId: 'gcs-default-1-dead', hostname: 'gone' })]);
    expect(report.exitCode).toBe(1);
  });

  it("finds this process's worker missing from the store", async () => {
    const hub = await hubOn(new MemoryStore(), { workerTimeout: 10_000 });
    const coordinator = await hub.getGlobalCoordinator();
    await hub.client.delete(coordinator._getWorkerKey(coordinator.workerId));
    const report = await quickDiagnose(hub);
    expect(problems(report)).toContain('worker-registration.self-missing');
  });

  it('finds a lease with no registered worker at all, and registrations that cannot be parsed', async () => {
    const store = new MemoryStore();
    const record = { format: LEASE_RECORD_FORMAT, namespace: 'default', leader: 'gcs-default-1-x', epoch: 1, renewals: 1, leaseTimeout: 300, previousLeader: null, acquiredAt: 0, renewedAt: 0 };
    await store.put(keys.state, JSON.stringify(record));
    const empty = await quickDiagnose(await hubOn(store));
    expect(findingOf(empty, 'worker-registration.none-registered').severity).toBe('error');
    await store.put(keys.worker('gcs-default-1-broken'), '{"format":');
    const broken = await quickDiagnose(await hubOn(store));
    expect(findingOf(broken, 'worker-registration.unreadable').evidence.keys).toEqual([keys.worker('gcs-default-1-broken')]);
  });

  it('reports registrations that cannot be listed, and names the permission to grant', async () => {
    const store = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'list' && key === keys.workersPrefix) throw new AccessDeniedError('Access Denied', { operation, key });
      },
    });
    const report = await quickDiagnose(await hubOn(store));
    const finding = findingOf(report, 'worker-registration.unlistable');
    expect(finding.severity).toBe('error');
    expect(finding.evidence).toMatchObject({ prefix: keys.workersPrefix, error: { code: 'ACCESS_DENIED' } });
    expect(finding.fix).toContain('s3:ListBucket');
  });
});
