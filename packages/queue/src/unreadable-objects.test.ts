import { MAX_EPOCH } from '@baton/plugin';
import { MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { Queue } from './queue';
import { QueueKeys } from './queue-keys';
import { findUnreadableQueueObjects } from './unreadable-objects';

describe('findUnreadableQueueObjects', () => {
  it("reports exactly what the queue sets aside, by kind, and nothing of a healthy queue's own objects", async () => {
    const store = new MemoryStore();
    const queue = new Queue({ store, name: 'orders' });
    const good = await queue.enqueue({ n: 1 });
    await queue.enqueue({ n: 2 }, { delayMs: 60_000 });
    expect(await findUnreadableQueueObjects(store, 'orders')).toEqual({ objects: { jobRecords: [], markers: [], journal: [] }, examined: 4, truncated: false });

    const keys = new QueueKeys('orders');
    const stored = await store.get(keys.job(good));
    const record = JSON.parse(new TextDecoder().decode(stored?.body)) as Record<string, unknown>;
    await store.put(keys.job('forged'), JSON.stringify({ ...record, id: 'forged', leaderEpoch: MAX_EPOCH + 1 }));
    await store.put(keys.job('garbage'), '{"format":');
    await store.put(`${keys.jobsPrefix}notes.txt`, 'x');
    await store.put(`${keys.readyPrefix}hand-made`, '');
    await store.put(`${keys.finishedPrefix}000000000000001-garbage.json`, 'nope');
    const scan = await findUnreadableQueueObjects(store, 'orders');
    expect(scan.objects.jobRecords.map(({ key, reason }) => [key, reason])).toEqual([
      [keys.job('forged'), `leaderEpoch ${MAX_EPOCH + 1} is outside the epoch domain 0..${MAX_EPOCH}`],
      [keys.job('garbage'), expect.stringMatching(/^not JSON/)],
      [`${keys.jobsPrefix}notes.txt`, 'not a job record key (jobs/<id>.json)'],
    ]);
    expect(scan.objects.jobRecords[0]?.etag).toBe((await store.get(keys.job('forged')))?.etag);
    expect(scan.objects.markers.map(({ key }) => key)).toEqual([`${keys.readyPrefix}hand-made`]);
    expect(scan.objects.markers[0]?.reason).toContain('not a marker name');
    expect(scan.objects.journal.map(({ key }) => key)).toEqual([`${keys.finishedPrefix}000000000000001-garbage.json`]);
    expect(await findUnreadableQueueObjects(store, 'orders', { maxKeys: 2 })).toMatchObject({ examined: 2, truncated: true });
  });
});
