import { LEASE_RECORD_FORMAT, namespaceKeys, type WorkerRecord } from '@baton/coordinator-core';
import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);
const keys = namespaceKeys('default');

function registration(workerId: string, epoch: number, isLeader: boolean): string {
  const record: WorkerRecord = { format: 'baton.worker/v1', workerId, namespace: 'default', hostname: 'host-b', pid: 2, startedAt: 0, lastHeartbeat: Date.now(), sequence: 1, isLeader, epoch };
  return JSON.stringify(record);
}

describe('multiple-leaders (guide section 2)', () => {
  it('sees two workers registered as leader of the same term, one of them not the lease holder', async () => {
    const store = new MemoryStore();
    const leader = await (await hubOn(store)).getGlobalCoordinator();
    const epoch = leader.getEpoch();
    // What a split brain leaves behind: a second worker that also believes it won this term.
    await store.put(keys.worker('gcs-default-1-intruder'), registration('gcs-default-1-intruder', epoch, true));
    const report = await quickDiagnose(await hubOn(store));
    expect(findingOf(report, 'multiple-leaders.same-term').evidence).toMatchObject({ epoch, workers: expect.arrayContaining([leader.workerId, 'gcs-default-1-intruder']) as unknown });
    expect(findingOf(report, 'multiple-leaders.conflicting-claim').evidence).toMatchObject({ leaseHolder: leader.workerId, claimants: ['gcs-default-1-intruder'] });
    expect(report.exitCode).toBe(2);
  });

  it('warns when state.json was rewritten below an epoch a worker registered', async () => {
    const store = new MemoryStore();
    await store.put(keys.worker('gcs-default-1-old'), registration('gcs-default-1-old', 4, false));
    const record = { format: LEASE_RECORD_FORMAT, namespace: 'default', leader: null, epoch: 1, renewals: 1, leaseTimeout: 300, previousLeader: null, acquiredAt: 0, renewedAt: 0 };
    await store.put(keys.state, JSON.stringify(record));
    const report = await quickDiagnose(await hubOn(store));
    expect(findingOf(report, 'multiple-leaders.epoch-behind-registrations').severity).toBe('warning');
  });

  it('sees two leaders announced for one epoch in this process', async () => {
    const hub = await hubOn(new MemoryStore());
    const coordinator = await hub.getGlobalCoordinator();
    const epoch = coordinator.getEpoch();
    setTimeout(() => {
      for (const newLeader of ['gcs-default-1-a', 'gcs-default-1-b']) {
        coordinator.emit('leader:changed', { namespace: 'default', previousLeader: null, newLeader, epoch: epoch + 1, timestamp: Date.now() });
      }
    }, 50);
    const report = await quickDiagnose(hub);
    expect(problems(report)).toContain('multiple-leaders.announced-twice');
  });

  it('sees the lease epoch go backwards between two samples (state.json restored from a backup)', async () => {
    const store = new ScriptedStore();
    let epoch = 9;
    // Every read of the lease record finds it rewritten one epoch lower than the read before.
    store.script.before = async (operation, key) => {
      if (operation !== 'get' || key !== keys.state) return;
      const record = { format: LEASE_RECORD_FORMAT, namespace: 'default', leader: null, epoch, renewals: 1, leaseTimeout: 300, previousLeader: null, acquiredAt: 0, renewedAt: 0 };
      epoch -= 1;
      await store.inner.put(keys.state, JSON.stringify(record));
    };
    const report = await quickDiagnose(await hubOn(store), { samples: 3 });
    const finding = findingOf(report, 'multiple-leaders.epoch-regressed');
    expect(finding.severity).toBe('error');
    expect(finding.evidence.regressions).toEqual([
      { from: 9, to: 8 },
      { from: 8, to: 7 },
    ]);
    expect(report.exitCode).toBe(2);
  });
});
