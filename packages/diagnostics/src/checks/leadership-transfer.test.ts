import { forceReelection, LEASE_RECORD_FORMAT, namespaceKeys } from '@baton/coordinator-core';
import { MemoryStore, StorageUnavailableError } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);

describe('leadership-transfer (guide section 8)', () => {
  it('finds a lease held by a dead worker that nobody takes over', async () => {
    const shared = new MemoryStore();
    let crashed = false;
    const leaderStore = new ScriptedStore(
      {
        before: (operation, key) => {
          if (crashed) throw new StorageUnavailableError('host crashed', { operation, key });
        },
      },
      shared,
    );
    const leader = await (await hubOn(leaderStore)).getGlobalCoordinator();
    crashed = true; // from now on it neither renews nor refreshes its registration, nor unregisters
    await new Promise((resolve) => setTimeout(resolve, 500));
    const report = await quickDiagnose(await hubOn(shared));
    const finding = findingOf(report, 'leadership-transfer.not-transferring');
    expect(finding.evidence).toMatchObject({ holder: leader.workerId, liveFollowers: [] });
    expect(finding.fix).toContain('start a worker');
    expect(report.exitCode).toBe(2);
  });

  it('finds a leader that renews but cannot refresh its registration', async () => {
    const store = new ScriptedStore();
    await (await hubOn(store)).getGlobalCoordinator();
    store.script = {
      before: (operation, key) => {
        if (operation === 'put' && key.includes('/workers/')) throw new StorageUnavailableError('throttled', { operation, key });
      },
    };
    await new Promise((resolve) => setTimeout(resolve, 500));
    const report = await quickDiagnose(await hubOn(store.inner));
    expect(problems(report)).toContain('leadership-transfer.holder-registration-stale');
  });

  it('finds a corrupted lease record', async () => {
    const store = new MemoryStore();
    await store.put(namespaceKeys('default').state, '{"format":"baton.lease/v1","leader":');
    const report = await quickDiagnose(await hubOn(store));
    expect(findingOf(report, 'leadership-transfer.corrupted-record').fix).toContain('baton reset-leader --yes');
  });

  it('reports an operator reset in progress, and a lease too long for quick failover', async () => {
    const store = new MemoryStore();
    await (await hubOn(store)).getGlobalCoordinator();
    await forceReelection(store, { leaseTimeout: 300 });
    const reset = await quickDiagnose(await hubOn(store));
    expect(findingOf(reset, 'leadership-transfer.reset-pending').severity).toBe('info');

    const slow = new MemoryStore();
    const record = { format: LEASE_RECORD_FORMAT, namespace: 'default', leader: 'gcs-default-1-x', epoch: 1, renewals: 1, leaseTimeout: 600_000, previousLeader: null, acquiredAt: 0, renewedAt: 0 };
    await slow.put(namespaceKeys('default').state, JSON.stringify(record));
    expect(problems(await quickDiagnose(await hubOn(slow)))).toContain('leadership-transfer.long-lease');
  });
});
