import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToText, CountingStore, FileSystemStore, MemoryStore, type ObjectStore } from '@baton/storage';
import { s3TestTarget } from '@tooling/s3-test-server/target';
import { openS3TestStore, type S3TestStore } from '@tooling/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdjustableClock, PausingStore } from './test-support/store-wrappers';
import { TTLCollection } from './ttl-collection';
import type { TTLCollectionOptions } from './ttl-options';

const target = s3TestTarget();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ prefix, ...(cursor === undefined ? {} : { cursor }) });
    keys.push(...page.entries.map((entry) => entry.key));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return keys;
}

/** Resolves once `condition` holds, polling every 10 ms; rejects after 10 s. */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The behaviour suite, run against each backend. Each test uses its own collection. */
/** Requests to remove one expired record, unread: a conditional DELETE, or a tombstone and a DELETE. */
function removalRequests(store: ObjectStore): number {
  return store.capabilities.conditionalDelete ? 1 : 2;
}

/** Requests to delete `count` done markers of one page: one batch where the store has deleteMany. */
function markerRequests(store: ObjectStore, count: number): number {
  return store.deleteMany === undefined ? count : 1;
}

function behaviourSuite(getStore: () => ObjectStore): void {
  let counter = 0;
  const collectionName = (label: string): string => `${label}-${Date.now().toString(36)}-${(counter += 1)}`;
  const open = (name: string, clock: AdjustableClock, extra: Partial<TTLCollectionOptions> = {}, store: ObjectStore = getStore()): TTLCollection =>
    new TTLCollection({ store, collection: name, environment: { clock }, tombstoneGraceMs: 600, tombstoneDeleteBoundMs: 250, sweepConcurrency: 4, ...extra });

  it('get() never returns an expired record, with no sweep at all; touch extends, delete removes', async () => {
    // Stopped: the 1000 ms TTL is judged to the millisecond below, however long the store's requests take.
    const clock = new AdjustableClock({ stopped: true });
    const ttl = open(collectionName('get'), clock);
    await ttl.set('session/1', { user: 'ada' }, { ttlMs: 1000 });
    await ttl.set('session/2', 'two', { ttlMs: 1000 });
    expect(await ttl.get('session/1')).toMatchObject({ value: { user: 'ada' } });
    clock.advance(900);
    expect(await ttl.touch('session/2', { ttlMs: 5000 })).toBe(true);
    clock.advance(101);
    expect(await ttl.get('session/1')).toBeUndefined();
    expect(await ttl.touch('session/1', { ttlMs: 5000 })).toBe(false);
    expect(await ttl.get('session/2')).toMatchObject({ value: 'two' });
    expect(await ttl.delete('session/2')).toBe(true);
    expect(await ttl.get('session/2')).toBeUndefined();
    expect(await ttl.delete('session/2')).toBe(false);
  });

  it('expires a record due late in a cohort that a sweep already visited, and records set into it afterwards', async () => {
    const clock = new AdjustableClock();
    clock.advance(MINUTE - (clock.wallNow() % MINUTE) + 1000); // one second into a minute
    const cohortStart = clock.wallNow() - 1000;
    const ttl = open(collectionName('late'), clock, { granularity: 'minute' });
    await ttl.set('early', 1, { expiresAt: cohortStart + 10_000 });
    await ttl.set('late', 2, { expiresAt: cohortStart + 50_000 });
    clock.advance(20_000);
    expect((await ttl.sweep({ epoch: 1 })).expired).toBe(1);
    await ttl.set('later-still', 3, { expiresAt: cohortStart + 40_000 }); // into the visited cohort
    expect(await ttl.get('late')).toMatchObject({ value: 2 });
    clock.advance(35_000);
    const report = await ttl.sweep({ epoch: 1 });
    expect(report.expired).toBe(2);
    expect(await keysUnder(getStore(), ttl.root)).toEqual([]);
  });

  it('clears a backlog in every lane in one catch-up sweep, and an empty sweep costs only its lists', async () => {
    const clock = new AdjustableClock();
    const ttl = open(collectionName('backlog'), clock);
    const ttls = [MINUTE, 3 * HOUR, 3 * DAY];
    for (let index = 0; index < 30; index += 1) await ttl.set(`k${index}`, index, { ttlMs: ttls[index % 3] as number });
    clock.advance(4 * DAY); // every worker was down for four days
    const report = await ttl.sweep({ epoch: 1 });
    expect(report.expired).toBe(30);
    expect(await keysUnder(getStore(), ttl.root)).toEqual([]);
    const empty = await ttl.sweep({ epoch: 1 });
    expect(empty).toMatchObject({ expired: 0, requests: 3 });
    expect(ttl.getMetrics().expired['hard-delete']).toBe(30);
  });

  it('removes the orphan marker of a writer that crashed between its marker and its record', async () => {
    const clock = new AdjustableClock();
    const ttl = open(collectionName('orphan'), clock);
    await ttl.set('k', 1, { ttlMs: 1000 });
    await getStore().delete(`${ttl.root}records/k`); // as if the record write never happened
    clock.advance(1001);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 0, staleMarkers: 1 });
    expect(await keysUnder(getStore(), ttl.root)).toEqual([]);
  });

  it('sweep cost grows with the records due, not with the live ones', async () => {
    const clock = new AdjustableClock();
    const ttl = open(collectionName('cost'), clock, { granularity: 'minute' });
    for (let index = 0; index < 10; index += 1) await ttl.set(`due-${index}`, index, { ttlMs: 1000 });
    await Promise.all(Array.from({ length: 150 }, (_value, index) => ttl.set(`live-${index}`, index, { ttlMs: 10 * MINUTE })));
    clock.advance(2000);
    const report = await ttl.sweep({ epoch: 1 });
    expect(report.expired).toBe(10);
    // 3 lists, then per record a conditional delete (or tombstone + delete), and the markers: one
    // batched request where the store has deleteMany, else one each.
    expect(report.requests).toBe(3 + 10 * removalRequests(getStore()) + markerRequests(getStore(), 10));
  });

  it('never deletes a record touched between the sweeper reading it and writing it', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('touch-race');
    const pausing = new PausingStore(getStore());
    const sweeper = open(name, clock, {}, pausing);
    const writer = open(name, clock);
    await writer.set('hot', 'keep me', { ttlMs: 1000 });
    clock.advance(1500);
    const recordKey = `${sweeper.root}records/hot`;
    const held = pausing.holdNext(({ operation, key, options }) => key === recordKey && (operation === 'delete' || (operation === 'put' && options !== undefined && 'ifMatch' in options)));
    const sweeping = sweeper.sweep({ epoch: 1 });
    await held.reached; // the sweeper has read the expired record and is about to remove it
    clock.advance(-1000); // the writer's view: the record is still readable
    expect(await writer.touch('hot', { ttlMs: 60_000 })).toBe(true);
    clock.advance(1000);
    held.release();
    const report = await sweeping;
    expect(report.expired).toBe(0);
    expect(await writer.get('hot')).toMatchObject({ value: 'keep me' });
    clock.advance(60_000);
    expect((await sweeper.sweep({ epoch: 1 })).expired).toBe(1);
    expect(await writer.get('hot')).toBeUndefined();
  });

  it('never deletes a record rewritten between the sweeper reading it and writing it', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('set-race');
    const pausing = new PausingStore(getStore());
    const sweeper = open(name, clock, {}, pausing);
    const writer = open(name, clock);
    await writer.set('hot', 'old', { ttlMs: 1000 });
    clock.advance(1500);
    const recordKey = `${sweeper.root}records/hot`;
    const held = pausing.holdNext(({ operation, key, options }) => key === recordKey && (operation === 'delete' || (operation === 'put' && options !== undefined && 'ifMatch' in options)));
    const sweeping = sweeper.sweep({ epoch: 1 });
    await held.reached;
    await writer.set('hot', 'new', { ttlMs: 60_000 });
    held.release();
    expect((await sweeping).expired).toBe(0);
    expect(await writer.get('hot')).toMatchObject({ value: 'new' });
    expect((await keysUnder(getStore(), `${sweeper.root}due/`)).length).toBe(1);
  });

  it('soft-delete keeps the record unreadable; archive moves it under the archive prefix', async () => {
    const clock = new AdjustableClock();
    const soft = open(collectionName('soft'), clock, { strategy: 'soft-delete' });
    await soft.set('a', { n: 1 }, { ttlMs: 1000 });
    const archive = open(collectionName('archive'), clock, { strategy: 'archive' });
    await archive.set('b/c', { n: 2 }, { ttlMs: 1000 });
    clock.advance(1001);
    expect((await soft.sweep({ epoch: 1 })).expired).toBe(1);
    expect((await archive.sweep({ epoch: 1 })).expired).toBe(1);
    expect(await soft.get('a')).toBeUndefined();
    const softKeys = await keysUnder(getStore(), soft.root);
    expect(softKeys).toEqual([`${soft.root}records/a`]);
    expect(JSON.parse(bytesToText((await getStore().get(softKeys[0] as string))?.body ?? new Uint8Array()))).toMatchObject({ state: 'soft-deleted', value: { n: 1 } });
    const archived = await keysUnder(getStore(), archive.root);
    expect(archived).toHaveLength(1);
    expect(archived[0]).toMatch(new RegExp(`^${archive.root}archive/b%2Fc/\\d{15}-[0-9a-z]+$`));
    expect(JSON.parse(bytesToText((await getStore().get(archived[0] as string))?.body ?? new Uint8Array()))).toMatchObject({ key: 'b/c', value: { n: 2 } });
    expect(soft.getMetrics().expired['soft-delete']).toBe(1);
    expect(archive.getMetrics().expired.archive).toBe(1);
    // A soft-deleted key can be written again.
    await soft.set('a', 'again', { ttlMs: 1000 });
    expect(await soft.get('a')).toMatchObject({ value: 'again' });
  });

  it('callback: applies each decision, and retries errors with backoff instead of swallowing them', async () => {
    const clock = new AdjustableClock();
    const calls: string[] = [];
    let failuresLeft = 2;
    const ttl = open(collectionName('callback'), clock, {
      strategy: 'callback',
      callbackRetryBaseMs: 1000,
      onExpire: ({ key, attempt }) => {
        calls.push(`${key}#${attempt}`);
        if (key === 'flaky' && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('downstream unavailable');
        }
        if (key === 'keep') return 'keep';
        if (key === 'extend') return { extendMs: 10_000 };
        if (key === 'soft') return 'soft-delete';
        return 'delete';
      },
    });
    for (const key of ['delete', 'keep', 'extend', 'soft', 'flaky']) await ttl.set(key, key, { ttlMs: 1000 });
    clock.advance(1001);
    const first = await ttl.sweep({ epoch: 1 });
    expect(first).toMatchObject({ callbackErrors: 1 });
    expect(await ttl.get('delete')).toBeUndefined();
    expect(await ttl.get('keep')).toMatchObject({ value: 'keep', expiresAt: null });
    expect(await ttl.get('extend')).toMatchObject({ value: 'extend' });
    expect(await ttl.get('soft')).toBeUndefined();
    expect(await ttl.get('flaky')).toBeUndefined(); // expired, whatever the callback's trouble
    expect((await ttl.sweep({ epoch: 1 })).callbackErrors).toBe(0); // not due again before its backoff
    clock.advance(1000);
    expect((await ttl.sweep({ epoch: 1 })).callbackErrors).toBe(1);
    clock.advance(2000);
    expect((await ttl.sweep({ epoch: 1 })).expired).toBe(1);
    expect(calls.filter((call) => call.startsWith('flaky'))).toEqual(['flaky#1', 'flaky#2', 'flaky#3']);
    clock.advance(10_000);
    await ttl.sweep({ epoch: 1 });
    expect(calls.filter((call) => !call.startsWith('flaky')).sort()).toEqual(['delete#1', 'extend#1', 'extend#1', 'keep#1', 'soft#1']);
    expect(ttl.getMetrics()).toMatchObject({ callbackErrors: 2, expired: { callback: 4 } }); // an extension is not an expiry
    expect(ttl.getMetrics().expiryLagMs.p99).toBeGreaterThanOrEqual(0);
  });

  it('callback: a claim whose claimer died is taken back only after callbackTimeoutMs, and run once more', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('dead-claimer');
    const crashed = open(name, clock, { strategy: 'callback', onExpire: () => new Promise<never>(() => undefined) }); // never returns
    const calls: string[] = [];
    const survivor = open(name, clock, {
      strategy: 'callback',
      callbackTimeoutMs: 5000,
      onExpire: ({ key, attempt }) => {
        calls.push(`${key}#${attempt}`);
        return 'delete';
      },
    });
    await crashed.set('k', 1, { ttlMs: 1000 });
    clock.advance(1001);
    const abandoned = new AbortController();
    void crashed.sweep({ epoch: 1, signal: abandoned.signal }).catch(() => undefined);
    await waitUntil(async () => (await getStore().get(`${crashed.root}records/k`).then((object) => (object === undefined ? '' : bytesToText(object.body)))).includes('"state":"claimed"'));
    abandoned.abort();
    expect((await survivor.sweep({ epoch: 2 })).deferred).toBe(1);
    clock.advance(4000);
    expect((await survivor.sweep({ epoch: 2 })).deferred).toBe(1);
    expect(calls).toEqual([]);
    clock.advance(1000);
    expect((await survivor.sweep({ epoch: 2 })).expired).toBe(1);
    expect(calls).toEqual(['k#2']);
  });

  it('callback: a callback slower than callbackTimeoutMs is not run again while its claimer is alive (the claim is renewed)', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('slow-callback');
    const calls: string[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const onExpire = async ({ key, attempt }: { key: string; attempt: number }): Promise<'delete'> => {
      calls.push(`${key}#${attempt}`);
      await finished;
      return 'delete';
    };
    const claimer = open(name, clock, { strategy: 'callback', callbackTimeoutMs: 300, onExpire });
    const other = open(name, clock, { strategy: 'callback', callbackTimeoutMs: 300, onExpire });
    await claimer.set('k', 1, { ttlMs: 1000 });
    clock.advance(1001);
    const sweeping = claimer.sweep({ epoch: 1 });
    await waitUntil(() => Promise.resolve(calls.length === 1));
    // Another process sweeps while its clock passes callbackTimeoutMs between sweeps, eight times:
    // it would take the claim back each time, but for a renewal landing in between. Waiting for
    // that renewal (not for a fixed time) lets a loaded machine run the real renewal timer late.
    const recordKey = `${claimer.root}records/k`;
    for (let round = 0; round < 8; round += 1) {
      await other.sweep({ epoch: 2 });
      // Read after the sweep: the renewal waited for below then surely came after what it saw.
      const observed = (await getStore().get(recordKey))?.etag;
      clock.advance(400);
      await waitUntil(async () => (await getStore().get(recordKey))?.etag !== observed);
    }
    expect(calls).toEqual(['k#1']);
    finish();
    expect((await sweeping).expired).toBe(1);
    expect(calls).toEqual(['k#1']);
    expect(await claimer.get('k')).toBeUndefined();
  });

  it('callback: the callback\'s signal aborts when its claim is lost (the record was rewritten meanwhile), and the rewrite survives', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('claim-lost');
    let aborted = false;
    const claimer = open(name, clock, {
      strategy: 'callback',
      callbackTimeoutMs: 300,
      onExpire: async (_record, { signal }): Promise<'delete'> => {
        // Bounded, so that a signal that never aborts fails the test instead of hanging it.
        await new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }, { once: true });
          setTimeout(resolve, 3000);
        });
        return 'delete';
      },
    });
    await claimer.set('k', 'old', { ttlMs: 1000 });
    clock.advance(1001);
    const sweeping = claimer.sweep({ epoch: 1 });
    await waitUntil(async () => (await getStore().get(`${claimer.root}records/k`).then((object) => (object === undefined ? '' : bytesToText(object.body)))).includes('"state":"claimed"'));
    await claimer.set('k', 'new', { ttlMs: 60_000 });
    await sweeping;
    expect(aborted).toBe(true);
    expect(await claimer.get('k')).toMatchObject({ value: 'new' });
  });

  it('fences sweeps by epoch', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('epoch');
    // (Hard-delete's unread fast path is not fenced per record: the only thing it can do is remove
    // the exact expired version its marker was written for, which any leader would do too.)
    const newer = open(name, clock, { strategy: 'callback', onExpire: () => ({ extendMs: 1000 }) });
    const older = open(name, clock, { strategy: 'callback', onExpire: () => 'delete' });
    await newer.set('k', 1, { ttlMs: 1000 });
    clock.advance(1001);
    await newer.sweep({ epoch: 5 }); // the record now carries epoch 5
    await expect(newer.sweep({ epoch: 4 })).rejects.toMatchObject({ code: 'STALE_EPOCH', highestEpoch: 5 });
    clock.advance(1001);
    await expect(older.sweep({ epoch: 3 })).rejects.toMatchObject({ code: 'STALE_EPOCH' });
    expect(await newer.get('k')).toBeUndefined(); // expired, but not removed by the stale sweeper
    await expect(older.sweep({ epoch: 0 })).rejects.toMatchObject({ code: 'INVALID_TTL_OPTIONS' });
  });

  it('rejects bad input with typed errors and writes nothing', async () => {
    const clock = new AdjustableClock();
    const ttl = open(collectionName('bad'), clock);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(ttl.set('k', { f: () => 1 }, { ttlMs: 10 })).rejects.toMatchObject({ code: 'INVALID_RECORD_VALUE' });
    await expect(ttl.set('k', cycle, { ttlMs: 10 })).rejects.toMatchObject({ code: 'INVALID_RECORD_VALUE', path: '$.self' });
    await expect(ttl.set('k', 'x'.repeat(300 * 1024), { ttlMs: 10 })).rejects.toMatchObject({ code: 'RECORD_VALUE_TOO_LARGE' });
    await expect(ttl.set('', 1, { ttlMs: 10 })).rejects.toMatchObject({ code: 'INVALID_RECORD_KEY' });
    await expect(ttl.set('k'.repeat(300), 1, { ttlMs: 10 })).rejects.toMatchObject({ code: 'INVALID_RECORD_KEY' });
    await expect(ttl.set('k', 1, {})).rejects.toMatchObject({ code: 'INVALID_TTL_OPTIONS', option: 'ttlMs' });
    await expect(ttl.set('k', 1, { ttlMs: 1.5 })).rejects.toMatchObject({ code: 'INVALID_TTL_OPTIONS', option: 'ttlMs' });
    await expect(ttl.set('k', 1, { expiresAt: clock.wallNow() - 1 })).rejects.toMatchObject({ code: 'INVALID_TTL_OPTIONS', option: 'expiresAt' });
    await expect(ttl.set('k', 1, { ttlMs: 10, expiresAt: clock.wallNow() + 10 })).rejects.toMatchObject({ code: 'INVALID_TTL_OPTIONS' });
    expect(await keysUnder(getStore(), ttl.root)).toEqual([]);
    // Keys that look like paths stay inside the collection.
    await ttl.set('../../escape', 1, { ttlMs: 10_000 });
    expect((await keysUnder(getStore(), ttl.root)).every((key) => key.startsWith(ttl.root) && !key.includes('/../'))).toBe(true);
    expect(await ttl.get('../../escape')).toMatchObject({ value: 1 });
  });

  it('without conditional DELETE: a writer waits for the tombstone to go, and its record survives the sweeper\'s DELETE', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('tombstone');
    const pausing = new PausingStore(getStore(), { conditionalDelete: false });
    // A long grace: this test holds the DELETE "in flight" for a while, which the grace must outlast.
    const sweeper = open(name, clock, { tombstoneGraceMs: 10_000 }, pausing);
    const writer = open(name, clock, { tombstoneGraceMs: 10_000 }, new PausingStore(getStore(), { conditionalDelete: false }));
    await writer.set('k', 'old', { ttlMs: 1000 });
    clock.advance(1001);
    const recordKey = `${sweeper.root}records/k`;
    const held = pausing.holdNext(({ operation, key }) => operation === 'delete' && key === recordKey);
    const sweeping = sweeper.sweep({ epoch: 1 });
    await held.reached; // tombstone written, unconditional DELETE about to go
    let written = false;
    const setting = writer.set('k', 'new', { ttlMs: 60_000 }).then(() => (written = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written).toBe(false); // it does not overwrite the tombstone
    held.release();
    await Promise.all([sweeping, setting]);
    expect(await writer.get('k')).toMatchObject({ value: 'new' });
  });

  it('without conditional DELETE: a writer with a shorter grace than the remover still waits out the remover\'s window, so a live record survives', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('mixed-grace');
    const pausing = new PausingStore(getStore(), { conditionalDelete: false });
    // The remover's window is 5 s (⅙ of its 30 s grace); the writer's own grace is only 600 ms.
    const sweeper = open(name, clock, { tombstoneGraceMs: 30_000, tombstoneDeleteBoundMs: 5000 }, pausing);
    const writer = open(name, clock, {}, new PausingStore(getStore(), { conditionalDelete: false }));
    await writer.set('k', 'old', { ttlMs: 1000 });
    clock.advance(1001);
    const recordKey = `${sweeper.root}records/k`;
    const held = pausing.holdNext(({ operation, key }) => operation === 'delete' && key === recordKey);
    const sweeping = sweeper.sweep({ epoch: 1 });
    await held.reached; // tombstone written, the remover's DELETE in flight (well within its 5 s window)
    let written = false;
    const setting = writer.set('k', 'new', { ttlMs: 60_000 }).then(() => (written = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.advance(2000); // past the writer's own 600 ms grace, not past the tombstone's 30 s
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(written).toBe(false); // it honours the grace written in the tombstone
    held.release();
    await Promise.all([sweeping, setting]);
    expect(await writer.get('k')).toMatchObject({ value: 'new' }); // the DELETE hit only the tombstone
  });

  it('without conditional DELETE: a tombstone left past its bound is never deleted late; writers take over after the grace', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('left');
    const pausing = new PausingStore(getStore(), { conditionalDelete: false });
    const sweeper = open(name, clock, {}, pausing);
    const writer = open(name, clock, {}, new PausingStore(getStore(), { conditionalDelete: false }));
    await writer.set('k', 'old', { ttlMs: 1000 });
    clock.advance(1001);
    const recordKey = `${sweeper.root}records/k`;
    // Hold the tombstone write itself until its delete bound (250 ms) has passed.
    const held = pausing.holdNext(({ operation, key }) => operation === 'put' && key === recordKey);
    const sweeping = sweeper.sweep({ epoch: 1 });
    await held.reached;
    clock.advance(300);
    held.release();
    expect(await sweeping).toMatchObject({ expired: 0, deferred: 1 });
    const startedAt = performance.now();
    await writer.set('k', 'new', { ttlMs: 60_000 });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(500); // waited out the 600 ms grace
    expect(await writer.get('k')).toMatchObject({ value: 'new' });
    expect((await sweeper.sweep({ epoch: 1 })).expired).toBe(0);
    expect(await writer.get('k')).toMatchObject({ value: 'new' });
  });

  it('without conditional DELETE: the next sweeps finish a tombstone left behind, after its grace', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('finish');
    const pausing = new PausingStore(getStore(), { conditionalDelete: false });
    const sweeper = open(name, clock, {}, pausing);
    await sweeper.set('k', 'old', { ttlMs: 1000 });
    clock.advance(1001);
    const held = pausing.holdNext(({ operation, key }) => operation === 'put' && key === `${sweeper.root}records/k`);
    const sweeping = sweeper.sweep({ epoch: 1 });
    await held.reached;
    clock.advance(300);
    held.release();
    expect((await sweeping).deferred).toBe(1);
    expect((await sweeper.sweep({ epoch: 1 })).deferred).toBe(1); // first observation of the tombstone
    clock.advance(700);
    expect((await sweeper.sweep({ epoch: 1 })).expired).toBe(1);
    expect(await keysUnder(getStore(), sweeper.root)).toEqual([]);
  });

  it('counts its requests: 1 per expired record with conditional DELETE, 2 without, 1 more for a record read first, plus the batched marker deletes', async () => {
    const clock = new AdjustableClock();
    const name = collectionName('budget');
    const counting = new CountingStore(getStore());
    const ttl = open(name, clock, { granularity: 'minute' }, counting);
    for (let index = 0; index < 20; index += 1) await ttl.set(`k${index}`, index, { ttlMs: 1000 });
    clock.advance(1001);
    const report = await ttl.sweep({ epoch: 1 });
    expect(report.expired).toBe(20);
    expect(report.requests).toBe(3 + 20 * removalRequests(getStore()) + markerRequests(counting, 20));
    // Strategies that need the value read it first.
    const soft = open(collectionName('budget-soft'), clock, { granularity: 'minute', strategy: 'soft-delete' }, counting);
    for (let index = 0; index < 20; index += 1) await soft.set(`k${index}`, index, { ttlMs: 1000 });
    clock.advance(1001);
    expect((await soft.sweep({ epoch: 1 })).requests).toBe(3 + 20 * 2 + markerRequests(counting, 20));
  });
}

describe('on MemoryStore', () => {
  const store = new MemoryStore();
  behaviourSuite(() => store);
});

describe('on MemoryStore without conditional DELETE (the tombstone path, as on Ceph)', () => {
  const store = new PausingStore(new MemoryStore(), { conditionalDelete: false });
  behaviourSuite(() => store);
});

describe('on FileSystemStore', () => {
  let directory: string;
  let store: FileSystemStore;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'baton-ttl-'));
    store = new FileSystemStore({ directory, durable: false });
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  behaviourSuite(() => store);
});

describe.skipIf(target === undefined)('on real S3 (Ceph RGW: no conditional DELETE)', () => {
  let s3: S3TestStore | undefined;
  let store: ObjectStore | undefined;
  beforeAll(async () => {
    if (target === undefined) return;
    s3 = await openS3TestStore(target, { namePrefix: 'ttl' });
    store = s3.store;
  });
  afterAll(async () => {
    await s3?.close();
  });
  it('reports no conditional DELETE, so the suite exercises the tombstone path', () => {
    expect(store?.capabilities.conditionalDelete).toBe(false);
  });
  behaviourSuite(() => {
    if (store === undefined) throw new Error('beforeAll did not create the store');
    return store;
  });
});
