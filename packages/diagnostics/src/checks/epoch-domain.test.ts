import { clearCorruptedState, LEASE_RECORD_FORMAT, MAX_EPOCH, namespaceKeys, pluginElectionKeys } from '@baton/coordinator-core';
import { Queue } from '@baton/queue';
import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose } from '../test-support/hubs';

afterEach(disconnectAll);
const keys = namespaceKeys('default');
const lease = (epoch: unknown, namespace = 'default') =>
  JSON.stringify({ format: LEASE_RECORD_FORMAT, namespace, leader: 'gcs-default-1-x', epoch, renewals: 1, leaseTimeout: 300, previousLeader: null, acquiredAt: 0, renewedAt: 0 });
const ledger = (highestEpoch: unknown) => JSON.stringify({ format: 'baton.epochs/v1', namespace: 'default', highestEpoch, longestLeaseTimeout: 300, reservedBy: 'x', reservedAt: 0 });

describe('epoch-domain', () => {
  it("finds the namespace's lease record, ledger and registrations claiming epochs no term can have, and reset-leader gets past them", async () => {
    const store = new MemoryStore();
    await store.put(keys.state, lease(MAX_EPOCH + 1));
    await store.put(keys.epochLedger, ledger(2 ** 50));
    await store.put(keys.worker('gcs-default-1-forged'), JSON.stringify({ format: 'baton.worker/v1', workerId: 'gcs-default-1-forged', namespace: 'default', epoch: 1.5 }));
    const report = await quickDiagnose(await hubOn(store));
    const record = findingOf(report, 'epoch-domain.lease-record');
    expect(record).toMatchObject({ severity: 'error', evidence: { key: keys.state, value: MAX_EPOCH + 1, namespace: 'default' } });
    expect(record.fix).toContain('baton reset-leader --yes --namespace default');
    expect(findingOf(report, 'epoch-domain.ledger')).toMatchObject({ severity: 'error', evidence: { key: keys.epochLedger, value: 2 ** 50 } });
    expect(findingOf(report, 'epoch-domain.registrations')).toMatchObject({
      severity: 'error',
      evidence: { count: 1, registrations: [{ key: keys.worker('gcs-default-1-forged'), value: 1.5 }] },
    });
    expect(report.exitCode).toBe(2);

    // The safe way forward the finding names (what `baton reset-leader` runs for an unreadable record).
    expect(await clearCorruptedState(store, { leaseTimeout: 300 })).toMatchObject({ outcome: 'reset', written: { epoch: 1 } });
    const after = problems(await quickDiagnose(await hubOn(store)));
    expect(after.filter((id) => id.startsWith('epoch-domain.') && id !== 'epoch-domain.registrations')).toEqual([]);
  });

  it("finds a plugin's own lease out of the domain: named, or derived from a queue found in the store", async () => {
    const store = new MemoryStore();
    await (await hubOn(store)).getGlobalCoordinator();
    const plugin = pluginElectionKeys('queue-orders');
    await new Queue({ store, name: 'orders' }).enqueue({ n: 1 });
    await store.put(plugin.state, lease(-1, 'queue-orders'));
    await store.put(pluginElectionKeys('billing').epochLedger, ledger('7'));
    const report = await quickDiagnose(await hubOn(store), { plugins: ['billing'] });
    const record = findingOf(report, 'epoch-domain.lease-record');
    expect(record).toMatchObject({ severity: 'error', evidence: { key: plugin.state, value: -1, plugin: 'queue-orders' } });
    expect(record.fix).toContain('baton reset-leader --yes --plugin queue-orders');
    expect(findingOf(report, 'epoch-domain.ledger').evidence).toMatchObject({ key: pluginElectionKeys('billing').epochLedger, value: '7', plugin: 'billing' });
  });

  it('finds nothing in a healthy namespace', async () => {
    const store = new MemoryStore();
    await (await hubOn(store)).getGlobalCoordinator();
    const report = await quickDiagnose(await hubOn(store));
    expect(report.checks.find((check) => check.id === 'epoch-domain')?.status).toBe('pass');
  });
});
