// The sweep at scale (one lane with more due markers than a page) and under failure (a storage
// error on one record, a failed batch of marker deletions, a store that applies an aborted
// tombstone DELETE late), on the memory store with injected clocks.
import { MemoryStore, type ObjectStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { AdjustableClock } from './test-support/store-wrappers';
import { TTLCollection } from './ttl-collection';
import type { TTLCollectionOptions } from './ttl-options';

const HOUR = 3_600_000;

/** `inner` with some of its methods replaced (the rest passed through, `deleteMany` included). */
function intercepted(inner: ObjectStore, overrides: Partial<ObjectStore>): ObjectStore {
  return {
    capabilities: inner.capabilities,
    description: `intercepted(${inner.description})`,
    get: (key, options) => inner.get(key, options),
    put: (key, body, options) => inner.put(key, body, options),
    delete: (key, options) => inner.delete(key, options),
    ...(inner.deleteMany === undefined ? {} : { deleteMany: inner.deleteMany.bind(inner) }),
    list: (options) => inner.list(options),
    ...overrides,
  };
}

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

function open(store: ObjectStore, clock: AdjustableClock, extra: Partial<TTLCollectionOptions> = {}): TTLCollection {
  return new TTLCollection({ store, collection: 'sweep', environment: { clock }, granularity: 'hour', sweepConcurrency: 8, ...extra });
}

/** Sets `count` records, all due in the same hour's cohort (one lane). */
async function setDue(ttl: TTLCollection, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_value, index) => `item/${String(index).padStart(5, '0')}`);
  for (const key of keys) await ttl.set(key, { key }, { ttlMs: HOUR / 2 });
  return keys;
}

describe('the TTL sweep at scale', () => {
  for (const count of [150, 1200]) {
    it(`${count} due markers in one lane: one sweep pages through them all and expires every record`, async () => {
      const inner = new MemoryStore();
      const lists: { prefix: string; limit: number | undefined }[] = [];
      const store = intercepted(inner, { list: (options) => (lists.push({ prefix: options.prefix, limit: options.limit }), inner.list(options)) });
      const clock = new AdjustableClock();
      const ttl = open(store, clock);
      await setDue(ttl, count);
      clock.advance(HOUR);
      lists.length = 0;
      const report = await ttl.sweep({ epoch: 1 });
      expect(report).toMatchObject({ expired: count, failed: 0, deferred: 0, staleMarkers: 0 });
      expect(await keysUnder(inner, 'ttl/sweep/')).toEqual([]);
      // A first page of 100 (the lane usually has a few due markers), then pages of 1000.
      const hourLane = lists.filter((list) => list.prefix === 'ttl/sweep/due/hour/');
      expect(hourLane.map((list) => list.limit)).toEqual([100, ...Array.from({ length: Math.ceil((count - 100) / 1000) }, () => 1000)]);
    });
  }
});

describe('the TTL sweep under failure', () => {
  it('a storage error on one record costs only that record this sweep; the next sweep expires it', async () => {
    const inner = new MemoryStore();
    let broken = true;
    let victim = 'not yet known';
    // Its removal fails (a 5xx after the retries, a network error) for as long as `broken`.
    const store = intercepted(inner, {
      delete: (key, options) => (broken && key.startsWith(victim) ? Promise.reject(new Error('simulated storage failure')) : inner.delete(key, options)),
    });
    const clock = new AdjustableClock();
    const ttl = open(store, clock);
    await setDue(ttl, 20);
    victim = (await keysUnder(inner, 'ttl/sweep/records/'))[7] as string;
    clock.advance(HOUR);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 19, failed: 1 });
    const left = await keysUnder(inner, 'ttl/sweep/');
    expect(left.filter((key) => key.startsWith('ttl/sweep/records/')), 'records left').toEqual([victim]);
    expect(left.filter((key) => key.startsWith('ttl/sweep/due/')).length, 'markers left').toBe(1);
    broken = false;
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 1, failed: 0 });
    expect(await keysUnder(inner, 'ttl/sweep/')).toEqual([]);
  });

  it('a failed batch of marker deletions leaves the markers, not the records; the next sweep drops them as stale', async () => {
    const inner = new MemoryStore();
    let failures = 0;
    const store = intercepted(inner, {
      deleteMany: (keys, options) => {
        if (failures === 0 && keys.some((key) => key.startsWith('ttl/sweep/due/'))) {
          failures += 1;
          return Promise.reject(new Error('simulated batch failure'));
        }
        return inner.deleteMany(keys, options);
      },
    });
    const clock = new AdjustableClock();
    const ttl = open(store, clock);
    await setDue(ttl, 30);
    clock.advance(HOUR);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 30, failed: 0 });
    expect(failures).toBe(1);
    expect((await keysUnder(inner, 'ttl/sweep/records/')).length).toBe(0);
    expect((await keysUnder(inner, 'ttl/sweep/due/')).length).toBe(30);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 0, staleMarkers: 30, failed: 0 });
    expect(await keysUnder(inner, 'ttl/sweep/')).toEqual([]);
  });

  it('a store that applies an aborted tombstone DELETE late (within grace − bound) never deletes the live record written after it', async () => {
    const inner = new MemoryStore();
    const graceMs = 600;
    const boundMs = 100;
    // Applied this long after the remover's bound aborted it: the remover's last check, the bound,
    // and this delay stay inside grace − bound, the README's assumption.
    const lateMs = graceMs - boundMs - boundMs - 100;
    let applied: Promise<void> | undefined;
    let appliedAt: number | undefined;
    const clock = new AdjustableClock();
    const store = intercepted(inner, {
      capabilities: { ...inner.capabilities, conditionalDelete: false },
      delete: (key, options) => {
        if (!key.startsWith('ttl/sweep/records/') || options?.signal === undefined) return inner.delete(key, options);
        // The request reached the store but its answer never comes back: the client aborts at the
        // bound, and the store applies the DELETE later all the same.
        const signal = options.signal;
        return new Promise<void>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            applied = new Promise<void>((resolve) => setTimeout(resolve, lateMs)).then(async () => {
              appliedAt = clock.monotonicNow();
              await inner.delete(key);
            });
            reject(signal.reason as Error);
          });
        });
      },
    });
    const ttl = open(store, clock, { tombstoneGraceMs: graceMs, tombstoneDeleteBoundMs: boundMs });
    await ttl.set('session', 'old', { ttlMs: 1000 });
    clock.advance(2000);
    expect(await ttl.sweep({ epoch: 1 })).toMatchObject({ expired: 0, deferred: 1 }); // the tombstone is left
    // A writer meets the tombstone: it waits for it to go (or for the grace), then creates.
    const writtenAt = ttl.set('session', 'new', { ttlMs: HOUR }).then(() => clock.monotonicNow());
    const written = await writtenAt;
    await applied;
    expect(appliedAt).toBeDefined();
    expect(written, 'the new record was written after the late DELETE landed').toBeGreaterThanOrEqual(appliedAt ?? Infinity);
    expect(await ttl.get('session')).toMatchObject({ value: 'new' });
    // The tombstone's marker is stale now: a sweep drops it and leaves the new record alone.
    clock.advance(graceMs);
    await ttl.sweep({ epoch: 1 });
    expect(await ttl.get('session')).toMatchObject({ value: 'new' });
  });
});
