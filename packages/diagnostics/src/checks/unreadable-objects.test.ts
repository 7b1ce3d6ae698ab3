import { namespaceKeys } from '@baton/coordinator-core';
import { MAX_EPOCH } from '@baton/plugin';
import { Queue } from '@baton/queue';
import { AccessDeniedError, MemoryStore, type ObjectStore } from '@baton/storage';
import { TTLCollection } from '@baton/ttl';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);
const keys = namespaceKeys('default');

async function healthyNamespace(store: ObjectStore): Promise<void> {
  await (await hubOn(store)).getGlobalCoordinator();
}

describe('unreadable-objects', () => {
  it("lists, per kind, the queue's and the TTL collection's unreadable objects, and foreign keys under workers/", async () => {
    const store = new MemoryStore();
    await healthyNamespace(store);
    await new Queue({ store, name: 'orders' }).enqueue({ n: 1 });
    await new TTLCollection({ store, collection: 'sessions' }).set('alice', 1, { ttlMs: 60_000 });
    expect(problems(await quickDiagnose(await hubOn(store)))).toEqual([]);

    await store.put('queues/orders/jobs/broken.json', '{"format":"baton.queue.job/1"');
    await store.put('queues/orders/delayed/soon-x', '');
    await store.put('queues/orders/finished/000000000000001-garbage.json', 'nope');
    const forged = { format: 'baton.ttl/1', key: 'bob', value: 1, expiresAt: null, state: 'live', version: 'v', marker: null, updatedAt: 0, leaderEpoch: MAX_EPOCH + 1 };
    await store.put('ttl/sessions/records/bob', JSON.stringify(forged));
    await store.put('ttl/sessions/due/minute/garbage', '');
    await store.put(`${keys.workersPrefix}notes.txt`, 'x');
    const report = await quickDiagnose(await hubOn(store));

    const jobs = findingOf(report, 'unreadable-objects.queue-job-records');
    expect(jobs).toMatchObject({ severity: 'warning', evidence: { owner: 'queue orders', count: 1 } });
    const [broken] = jobs.evidence.objects as { key: string; reason: string }[];
    expect(broken?.key).toBe('queues/orders/jobs/broken.json');
    expect(broken?.reason).toMatch(/^not JSON/);
    expect(jobs.fix).toContain('--if-match');
    expect(findingOf(report, 'unreadable-objects.queue-markers').evidence.objects).toEqual([expect.objectContaining({ key: 'queues/orders/delayed/soon-x' })]);
    expect(findingOf(report, 'unreadable-objects.queue-journal').evidence.objects).toEqual([expect.objectContaining({ key: 'queues/orders/finished/000000000000001-garbage.json' })]);
    const records = findingOf(report, 'unreadable-objects.ttl-records').evidence;
    expect(records.owner).toBe('TTL collection sessions');
    expect((records.objects as { key: string; reason: string }[]).map(({ key, reason }) => [key, reason.includes('outside the epoch domain')])).toEqual([['ttl/sessions/records/bob', true]]);
    expect(findingOf(report, 'unreadable-objects.ttl-markers').evidence.objects).toEqual([expect.objectContaining({ key: 'ttl/sessions/due/minute/garbage' })]);
    expect(findingOf(report, 'unreadable-objects.worker-keys')).toMatchObject({ severity: 'warning', evidence: { owner: 'namespace default', objects: [{ key: `${keys.workersPrefix}notes.txt` }] } });
    expect(report.exitCode).toBe(1);
  });

  it('lists only the first keys of a kind, with the count', async () => {
    const store = new MemoryStore();
    await healthyNamespace(store);
    for (let index = 0; index < 25; index += 1) await store.put(`queues/bulk/jobs/garbage-${String(index).padStart(2, '0')}.json`, 'x');
    const finding = findingOf(await quickDiagnose(await hubOn(store)), 'unreadable-objects.queue-job-records');
    expect(finding.evidence.count).toBe(25);
    expect(finding.evidence.objects).toHaveLength(10);
    expect(finding.evidence.keys).toEqual(Array.from({ length: 10 }, (_value, index) => `queues/bulk/jobs/garbage-${String(index).padStart(2, '0')}.json`));
    expect(finding.summary).toMatch(/^25 job record/);
  });

  it('says nothing when the policy does not allow listing queues/ or ttl/, and notes a named queue it cannot scan', async () => {
    const store = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'list' && (key.startsWith('queues/') || key.startsWith('ttl/'))) throw new AccessDeniedError('Access Denied', { operation, key });
      },
    });
    await healthyNamespace(store);
    const report = await quickDiagnose(await hubOn(store));
    expect(report.findings.filter((finding) => finding.check === 'unreadable-objects')).toEqual([]);
    const named = await quickDiagnose(await hubOn(store), { queues: ['orders'] });
    expect(findingOf(named, 'unreadable-objects.scan-failed')).toMatchObject({ severity: 'info', evidence: { prefix: 'queues/orders/' } });
  });
});
