import { MAX_EPOCH } from '@baton/plugin';
import { MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { TTLCollection } from './ttl-collection';
import { padTime, TTLKeys } from './ttl-keys';
import { findUnreadableTTLObjects } from './unreadable-objects';

describe('findUnreadableTTLObjects', () => {
  it('reports exactly what the sweep sets aside, by kind, and nothing of a healthy collection', async () => {
    const store = new MemoryStore();
    const ttl = new TTLCollection({ store, collection: 'sessions' });
    await ttl.set('alice', { id: 1 }, { ttlMs: 60_000 });
    expect(await findUnreadableTTLObjects(store, 'sessions')).toEqual({ objects: { records: [], markers: [] }, examined: 2, truncated: false });

    const keys = new TTLKeys('sessions');
    const stored = await store.get(keys.record('alice'));
    const record = JSON.parse(new TextDecoder().decode(stored?.body)) as Record<string, unknown>;
    await store.put(keys.record('forged'), JSON.stringify({ ...record, key: 'forged', leaderEpoch: MAX_EPOCH * 2 }));
    await store.put(keys.record('garbage'), 'garbage');
    await store.put(`${keys.recordsPrefix}a.b`, '{}'); // '.' is always encoded: not a key this package writes
    const foreignMarker = `${keys.lanePrefix('minute')}${padTime(0)}/999999999999999-x/planted`;
    await store.put(foreignMarker, '');
    const scan = await findUnreadableTTLObjects(store, 'sessions');
    expect(scan.objects.records.map(({ key, reason }) => [key, reason])).toEqual([
      [`${keys.recordsPrefix}a.b`, 'not an encoded record key'],
      [keys.record('forged'), `leaderEpoch ${MAX_EPOCH * 2} is outside the epoch domain 0..${MAX_EPOCH}`],
      [keys.record('garbage'), expect.stringMatching(/^not JSON/)],
    ]);
    expect(scan.objects.markers.map(({ key }) => key)).toEqual([foreignMarker]);
    expect(await findUnreadableTTLObjects(store, 'sessions', { maxKeys: 1 })).toMatchObject({ examined: 1, truncated: true });
  });
});
