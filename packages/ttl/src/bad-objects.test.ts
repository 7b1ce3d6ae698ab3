// Bad objects under a collection's prefix — garbage, truncated, wrong types, an impossible epoch,
// markers no version of baton writes — each cost only themselves: the sweep sets them aside
// (a record's marker is deleted, the record kept for inspection; a foreign marker is skipped),
// reports each once (a warning, a `record:corrupt` event, the `corrupt` metrics) and expires
// the other records as usual.
import { MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import type { CorruptObjectReport } from '@baton/plugin';
import { AdjustableClock } from './test-support/store-wrappers';
import { TTLCollection } from './ttl-collection';
import { padTime, TTLKeys } from './ttl-keys';

const MINUTE = 60_000;

function recordingLogger(): { warnings: string[]; logger: { debug: () => void; info: () => void; warn: (first: string | object, second?: string) => void; error: () => void } } {
  const warnings: string[] = [];
  const ignore = (): void => undefined;
  return { warnings, logger: { debug: ignore, info: ignore, error: ignore, warn: (first, second) => warnings.push(typeof first === 'string' ? first : (second ?? '')) } };
}

/** A due marker in the minute lane of `keys` for `recordKey` (plain ASCII) at `sweepAt`. */
function dueMarker(keys: TTLKeys, recordKey: string, sweepAt: number): string {
  return keys.marker(recordKey, 'minute', sweepAt, 'planted');
}

function validRecord(key: string, fields: Record<string, unknown>, now: number): string {
  return JSON.stringify({
    format: 'baton.ttl/1',
    key,
    value: {},
    expiresAt: now,
    state: 'live',
    version: 'v1',
    marker: { sweepAt: now, granularity: 'minute', id: 'planted' },
    updatedAt: now,
    leaderEpoch: 0,
    claim: null,
    tombstone: null,
    failure: null,
    ...fields,
  });
}

describe('bad objects in a TTL collection', () => {
  it('a marker whose sweep time lies outside its cohort, at the head of the lane, does not stop the sweep', async () => {
    const store = new MemoryStore();
    const clock = new AdjustableClock();
    const { logger, warnings } = recordingLogger();
    const ttl = new TTLCollection({ store, collection: 'out-of-cohort', environment: { clock }, logger });
    const keys = new TTLKeys('out-of-cohort');
    // Cohort 0 lists first; its sweep time is the far future: "nothing further is due" — wrongly.
    const foreign = `${keys.lanePrefix('minute')}${padTime(0)}/999999999999999-foreign/planted`;
    await store.put(foreign, '');
    await ttl.set('session', 1, { ttlMs: 1000 });
    clock.advance(2000);
    const report = await ttl.sweep({ epoch: 1 });
    expect(report).toMatchObject({ expired: 1, corrupt: 1 });
    expect(await store.get(keys.record('session'))).toBeUndefined();
    expect(await store.get(foreign)).toBeDefined(); // not ours to delete: it is skipped, and reported once
    expect((await ttl.sweep({ epoch: 1 })).corrupt).toBe(0);
    expect(warnings.filter((warning) => warning.includes(foreign))).toHaveLength(1);
    expect(ttl.getMetrics().corrupt).toEqual({ records: 0, markers: 1 });
  });

  it('garbage, truncated and wrong-typed records with due markers are set aside once: marker deleted, record kept, reported', async () => {
    const store = new MemoryStore();
    const clock = new AdjustableClock();
    const { logger, warnings } = recordingLogger();
    const ttl = new TTLCollection({ store, collection: 'garbage', environment: { clock }, logger });
    const keys = new TTLKeys('garbage');
    const now = clock.wallNow();
    const bad = {
      garbage: 'garbage',
      truncated: validRecord('truncated', {}, now).slice(0, 40),
      'wrong-types': validRecord('wrong-types', { expiresAt: 'soon', version: 7 }, now),
      'no-object': '[1,2,3]',
    };
    for (const [key, body] of Object.entries(bad)) {
      await store.put(keys.record(key), body);
      await store.put(dueMarker(keys, key, now - 1000), '');
    }
    const events: CorruptObjectReport<Error>[] = [];
    ttl.on('record:corrupt', (event) => events.push(event));
    await ttl.set('session', 1, { ttlMs: 1000 });
    clock.advance(2000);
    const report = await ttl.sweep({ epoch: 1 });
    expect(report).toMatchObject({ expired: 1, corrupt: 4, failed: 0 });
    for (const key of Object.keys(bad)) {
      expect(await store.get(dueMarker(keys, key, now - 1000)), `marker of ${key}`).toBeUndefined();
      expect(await store.get(keys.record(key)), `record ${key}`).toBeDefined();
    }
    expect(events.map((event) => event.key).sort()).toEqual(Object.keys(bad).map((key) => keys.record(key)).sort());
    expect(events.every((event) => (event.error as { code?: string }).code === 'CORRUPT_RECORD')).toBe(true);
    // Set aside: the next sweep does not meet them again.
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ corrupt: 0, failed: 0 });
    expect(warnings.filter((warning) => warning.includes('set aside'))).toHaveLength(4);
    expect(ttl.getMetrics().corrupt).toEqual({ records: 4, markers: 0 });
  });

  it("a record in another version's format keeps its marker (a sweeper of that version finds it), and is reported once", async () => {
    const store = new MemoryStore();
    const clock = new AdjustableClock();
    const { logger, warnings } = recordingLogger();
    const ttl = new TTLCollection({ store, collection: 'mixed-versions', environment: { clock }, logger });
    const keys = new TTLKeys('mixed-versions');
    const now = clock.wallNow();
    await store.put(keys.record('newer'), validRecord('newer', { format: 'baton.ttl/2' }, now));
    await store.put(dueMarker(keys, 'newer', now - 1000), '');
    const events: CorruptObjectReport<Error>[] = [];
    ttl.on('record:corrupt', (event) => events.push(event));
    clock.advance(2000);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ corrupt: 1, failed: 0 });
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ corrupt: 0, failed: 0 });
    expect(await store.get(dueMarker(keys, 'newer', now - 1000))).toBeDefined();
    expect(await store.get(keys.record('newer'))).toBeDefined();
    expect(events).toHaveLength(1);
    expect(events[0]?.error.message).toContain('another version of @baton/ttl');
    expect(warnings.filter((warning) => warning.includes('set aside'))).toHaveLength(1);
  });

  it('a garbage record rewritten (a new version) is judged again; writing the key anew makes it a record again', async () => {
    const store = new MemoryStore();
    const clock = new AdjustableClock();
    const ttl = new TTLCollection({ store, collection: 'rewritten', environment: { clock } });
    const keys = new TTLKeys('rewritten');
    const now = clock.wallNow();
    await store.put(keys.record('k'), 'garbage one');
    await store.put(dueMarker(keys, 'k', now - 1000), '');
    clock.advance(2000);
    expect((await ttl.sweep({ epoch: 1 })).corrupt).toBe(1);
    await store.put(keys.record('k'), 'garbage two');
    await store.put(dueMarker(keys, 'k', now - 500), '');
    expect((await ttl.sweep({ epoch: 1 })).corrupt).toBe(1);
    await ttl.set('k', { fixed: true }, { ttlMs: 1000 });
    expect(await ttl.get('k')).toMatchObject({ value: { fixed: true } });
    clock.advance(2 * MINUTE);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 1, corrupt: 0 });
    expect(ttl.getMetrics().corrupt).toEqual({ records: 2, markers: 0 });
  });

  it('a record claiming a leader epoch no term can have is corrupt: it does not fence the sweeper out', async () => {
    const store = new MemoryStore();
    const clock = new AdjustableClock();
    const ttl = new TTLCollection({ store, collection: 'extreme-epoch', environment: { clock } });
    const keys = new TTLKeys('extreme-epoch');
    const now = clock.wallNow();
    await store.put(keys.record('extreme'), validRecord('extreme', { leaderEpoch: Number.MAX_SAFE_INTEGER, expiresAt: now - 1000 }, now));
    await store.put(dueMarker(keys, 'extreme', now - 1000), '');
    await ttl.set('session', 1, { ttlMs: 1000 });
    clock.advance(2000);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 1, corrupt: 1 });
    await ttl.set('later', 1, { ttlMs: 1000 });
    clock.advance(2000);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 1, corrupt: 0 });
  });

  it('a marker name that does not parse is skipped and reported once', async () => {
    const store = new MemoryStore();
    const clock = new AdjustableClock();
    const ttl = new TTLCollection({ store, collection: 'unparseable', environment: { clock } });
    const keys = new TTLKeys('unparseable');
    const foreign = `${keys.lanePrefix('minute')}${padTime(0)}/not-a-marker`;
    await store.put(foreign, '');
    await ttl.set('session', 1, { ttlMs: 1000 });
    clock.advance(2 * MINUTE);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 1, corrupt: 1 });
    expect((await ttl.sweep({ epoch: 1 })).corrupt).toBe(0);
  });
});
