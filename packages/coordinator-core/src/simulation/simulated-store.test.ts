import {
  bytesToText,
  contentEtag,
  InvalidKeyError,
  OutcomeUnknownError,
  PreconditionFailedError,
  StorageUnavailableError,
  UnsupportedOperationError,
  type ObjectStore,
  type StoredObject,
} from '@baton/storage';
import { objectStoreConformanceCases } from '@baton/storage/testkit';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random';
import { SimulatedProcess } from './simulated-process';
import { SimulatedScheduler } from './simulated-scheduler';
import { SimulatedStore, type SimulatedStoreOptions } from './simulated-store';
import { HEALTHY_STORE_FAULTS, storeFaults, UNRELIABLE_STORE_FAULTS, type StoreFaults } from './store-faults';

/** `value`, which the test knows is there: fails loudly instead of asserting with `!`. */
function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

/** A scheduler, a store and `count` processes with their clients. */
function cluster(faults: StoreFaults, seed: string | number, count = 1, options: SimulatedStoreOptions = {}) {
  const random = new SeededRandom(seed);
  const scheduler = new SimulatedScheduler();
  const store = new SimulatedStore(scheduler, faults, random.fork('store'), options);
  const processes = Array.from({ length: count }, (_, index) => new SimulatedProcess(scheduler, { name: `p${index}` }));
  const clients = processes.map((process) => store.storeFor(process));
  return { random, scheduler, store, processes, clients };
}

/** Starts `operation` inside `process` at `time`; the promise settles with what the process saw. */
function callAt<T>(
  scheduler: SimulatedScheduler,
  process: SimulatedProcess,
  time: number,
  operation: () => Promise<T>,
): Promise<{ value?: T; error?: unknown; at: number }> {
  return new Promise((resolve) => {
    scheduler.schedule(time, () => {
      process.dispatch(() => {
        operation().then(
          (value) => {
            resolve({ value, at: scheduler.now });
          },
          (error: unknown) => {
            resolve({ error, at: scheduler.now });
          },
        );
      });
    });
  });
}

/**
 * Runs the scheduler whenever a call is waiting on it, so that ordinary async code (the
 * conformance kit) can use a simulated client as if it were a real store.
 */
function selfDriving(scheduler: SimulatedScheduler, client: ObjectStore): ObjectStore {
  let active = false;
  const drive = async (): Promise<void> => {
    try {
      do await scheduler.run();
      while (scheduler.pendingCount > 0);
    } finally {
      // Synchronously after the last check, so a call made meanwhile always starts a new drive.
      active = false;
    }
  };
  const driven =
    <A extends unknown[], R>(method: (...parameters: A) => Promise<R>) =>
    (...parameters: A): Promise<R> => {
      const result = method(...parameters);
      if (!active) {
        active = true;
        void drive();
      }
      return result;
    };
  return {
    capabilities: client.capabilities,
    description: client.description,
    get: driven(client.get.bind(client)),
    put: driven(client.put.bind(client)),
    delete: driven(client.delete.bind(client)),
    list: driven(client.list.bind(client)),
  };
}

describe('SimulatedStore conformance (healthy)', () => {
  const { scheduler, clients } = cluster(HEALTHY_STORE_FAULTS, 'conformance');
  const store = selfDriving(scheduler, defined(clients[0]));
  for (const testCase of objectStoreConformanceCases({ store: () => store })) {
    it(testCase.name, testCase.run, testCase.timeoutMs);
  }
});

describe('SimulatedStore conformance (opaque ETags)', () => {
  const { scheduler, clients } = cluster(HEALTHY_STORE_FAULTS, 'conformance', 1, { etags: 'opaque' });
  const store = selfDriving(scheduler, defined(clients[0]));
  for (const testCase of objectStoreConformanceCases({ store: () => store })) {
    it(testCase.name, testCase.run, testCase.timeoutMs);
  }
});

describe('SimulatedStore', () => {
  it('takes one latency each way, and applies at the instant between', async () => {
    const { scheduler, store, processes, clients } = cluster(storeFaults({ latencyMs: { minimum: 7, maximum: 7 } }), 1);
    const put = callAt(scheduler, defined(processes[0]), 100, () => defined(clients[0]).put('a/b', 'x', { ifNoneMatch: '*' }));
    await scheduler.run();
    expect(await put).toEqual({ value: { etag: contentEtag(new TextEncoder().encode('x')) }, at: 114 });
    expect(store.history).toHaveLength(1);
    expect(store.history[0]).toMatchObject({ time: 107, key: 'a/b', kind: 'put', condition: 'ifNoneMatch', process: processes[0] });
    expect(store.inspect('a/b')?.lastModified?.getTime()).toBe(Date.UTC(2025, 0, 1) + 107);
  });

  it('applies ifMatch, ifNoneMatch and deletes atomically and records them', async () => {
    const { scheduler, store, processes, clients } = cluster(HEALTHY_STORE_FAULTS, 2);
    const [process, client] = [defined(processes[0]), defined(clients[0])];
    const results: unknown[] = [];
    const sequence = callAt(scheduler, process, 0, async () => {
      const first = await client.put('k', 'one', { ifNoneMatch: '*' });
      await client.put('k', 'two', { ifNoneMatch: '*' }).catch((error: unknown) => results.push(error));
      await client.put('k', 'two', { ifMatch: 'stale' }).catch((error: unknown) => results.push(error));
      await client.put('missing', 'two', { ifMatch: first.etag }).catch((error: unknown) => results.push(error));
      const second = await client.put('k', 'two', { ifMatch: first.etag });
      await client.delete('k', { ifMatch: first.etag }).catch((error: unknown) => results.push(error));
      await client.delete('k', { ifMatch: second.etag });
      await client.delete('k');
      results.push(await client.get('k'));
    });
    await scheduler.run();
    expect((await sequence).error).toBeUndefined();
    expect(results.slice(0, 4).map((error) => (error as Error).constructor)).toEqual([
      PreconditionFailedError,
      PreconditionFailedError,
      PreconditionFailedError,
      PreconditionFailedError,
    ]);
    expect(results[4]).toBeUndefined();
    expect(store.history.map((write) => [write.kind, write.condition, write.body && bytesToText(write.body)])).toEqual([
      ['put', 'ifNoneMatch', 'one'],
      ['put', 'ifMatch', 'two'],
      ['delete', 'ifMatch', undefined],
    ]);
    expect(defined(store.history[1]).previousEtag).toBe(defined(store.history[0]).etag);
    expect(store.size).toBe(0);
  });

  it('lists in UTF-8 byte order with prefix, cursor and limit', async () => {
    const { scheduler, store, processes, clients } = cluster(HEALTHY_STORE_FAULTS, 3);
    // UTF-16 order would put '\uFF5E' after '\u{1F600}' (a surrogate pair); UTF-8 puts it before.
    const keys = ['p/b', 'p/a', 'p/\u{1F600}', 'p/\uFF5E', 'q/x', 'p/ab'];
    for (const key of keys) store.writeDirectly(key, key);
    const pages: string[][] = [];
    const listing = callAt(scheduler, defined(processes[0]), 0, async () => {
      let cursor: string | undefined;
      do {
        const page = await defined(clients[0]).list({ prefix: 'p/', limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        pages.push(page.entries.map((entry) => entry.key));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    });
    await scheduler.run();
    expect((await listing).error).toBeUndefined();
    expect(pages).toEqual([
      ['p/a', 'p/ab'],
      ['p/b', 'p/\uFF5E'],
      ['p/\u{1F600}'],
    ]);
    expect(store.keys('p/')).toEqual(pages.flat());
  });

  it('rejects invalid arguments at once, without a request', async () => {
    const { scheduler, store, clients } = cluster(HEALTHY_STORE_FAULTS, 4);
    const client = defined(clients[0]);
    await expect(client.get('../escape')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(client.put('k', 'v', { ifMatch: '' })).rejects.toBeInstanceOf(TypeError);
    await expect(client.list({ prefix: '', limit: 0 })).rejects.toBeInstanceOf(TypeError);
    expect(store.statistics.requests).toBe(0);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('refuses conditional deletes when it does not claim to enforce them', async () => {
    const scheduler = new SimulatedScheduler();
    const store = new SimulatedStore(scheduler, HEALTHY_STORE_FAULTS, new SeededRandom(1), { capabilities: { conditionalDelete: false } });
    const client = store.storeFor(new SimulatedProcess(scheduler));
    expect(client.capabilities.conditionalDelete).toBe(false);
    await expect(client.delete('k', { ifMatch: 'x' })).rejects.toBeInstanceOf(UnsupportedOperationError);
  });

  it('without conditional DELETE (as RGW): claims no capability, and a delete sent with ifMatch anyway deletes unconditionally', async () => {
    const { scheduler, store, processes, clients } = cluster(HEALTHY_STORE_FAULTS, 'rgw-delete', 1, { conditionalDelete: false });
    const [process, client] = [defined(processes[0]), defined(clients[0])];
    expect(store.capabilities.conditionalDelete).toBe(false);
    expect(client.capabilities.conditionalDelete).toBe(false);
    const stale = store.writeDirectly('k', 'v1');
    store.writeDirectly('k', 'v2');
    const result = callAt(scheduler, process, 0, () => client.delete('k', { ifMatch: stale.etag }));
    await scheduler.run();
    expect((await result).error).toBeUndefined();
    expect(store.inspect('k')).toBeUndefined();
    expect(store.history.at(-1)).toMatchObject({ kind: 'delete', condition: 'none', process });
    expect(store.statistics.ignoredDeleteConditions).toBe(1);
    // Conditional puts are still enforced.
    const put = callAt(scheduler, process, scheduler.now, () => client.put('j', 'x', { ifMatch: stale.etag }));
    await scheduler.run();
    expect((await put).error).toBeInstanceOf(PreconditionFailedError);
  });

  it('refuses to both ignore If-Match on DELETE and claim to enforce it', () => {
    expect(
      () =>
        new SimulatedStore(new SimulatedScheduler(), HEALTHY_STORE_FAULTS, new SeededRandom(1), {
          conditionalDelete: false,
          capabilities: { conditionalDelete: true },
        }),
    ).toThrow(TypeError);
  });

  it('opaque ETags: every write gets a fresh ETag, identical bytes or not; content ETags stay put', async () => {
    async function run(etags: 'content' | 'opaque') {
      const { scheduler, store, processes, clients } = cluster(HEALTHY_STORE_FAULTS, 'opaque', 1, { etags });
      const [process, client] = [defined(processes[0]), defined(clients[0])];
      const direct = store.writeDirectly('k', 'same').etag;
      const seen = callAt(scheduler, process, 0, async () => {
        const rewritten = (await client.put('k', 'same', { ifMatch: direct })).etag;
        const read = (await client.get('k'))?.etag;
        const listed = (await client.list({ prefix: 'k' })).entries[0]?.etag;
        const swapOnFirst = await client.put('k', 'same', { ifMatch: direct }).catch((error: unknown) => (error as Error).constructor);
        return { direct, rewritten, read, listed, swapOnFirst };
      });
      await scheduler.run();
      return defined((await seen).value);
    }
    const sameBytes = contentEtag(new TextEncoder().encode('same'));
    // Content ETags: the rewrite keeps the ETag, so a swap on the first one still succeeds.
    expect(await run('content')).toEqual({ direct: sameBytes, rewritten: sameBytes, read: sameBytes, listed: sameBytes, swapOnFirst: { etag: sameBytes } });
    const opaque = await run('opaque');
    expect(new Set([opaque.direct, opaque.rewritten, sameBytes]).size).toBe(3);
    expect([opaque.read, opaque.listed]).toEqual([opaque.rewritten, opaque.rewritten]);
    expect(opaque.swapOnFirst).toBe(PreconditionFailedError);
  });

  it('opaque ETags are the same on every run of a seed, faults and all', async () => {
    async function run() {
      const { scheduler, store, processes, clients } = cluster(UNRELIABLE_STORE_FAULTS, 'opaque-replay', 5, { etags: 'opaque' });
      const calls = processes.flatMap((process, index) =>
        Array.from({ length: 20 }, (_, round) => callAt(scheduler, process, round * 50, () => defined(clients[index]).put('k', 'same'))),
      );
      await scheduler.run();
      const answered = (await Promise.all(calls)).map((result) => result.value?.etag);
      return { written: store.history.map((write) => write.etag), answered };
    }
    const first = await run();
    expect(new Set(first.written).size).toBe(first.written.length);
    expect(first.written.length).toBeGreaterThan(50);
    expect(await run()).toEqual(first);
  });

  it('lets exactly one of 20 racing creators win, under faults, for every seed', async () => {
    const outcomesSeen = new Set<string>();
    for (let seed = 0; seed < 300; seed += 1) {
      const { random, scheduler, store, processes, clients } = cluster(
        {
          ...UNRELIABLE_STORE_FAULTS,
          requestLossProbability: 0.1,
          replyLossProbability: 0.1,
          serverErrorProbability: 0.1,
          appliedThenErrorChance: 0.1,
          winnerConflictChance: 0.1,
        },
        `race-${seed}`,
        20,
      );
      const calls = processes.map((process, index) =>
        callAt(scheduler, process, random.between(0, 20), () => defined(clients[index]).put('lease', `p${index}`, { ifNoneMatch: '*' })),
      );
      await scheduler.run();
      const results = await Promise.all(calls);
      const applied = store.history.filter((write) => write.key === 'lease');
      const winners = results.flatMap((result, index) => (result.error === undefined ? [index] : []));
      // A conditional create is applied at most once, and exactly once unless every request failed before applying.
      expect(applied.length).toBeLessThanOrEqual(1);
      expect(winners.length).toBeLessThanOrEqual(1);
      if (winners.length === 1) expect(applied[0]?.process).toBe(processes[defined(winners[0])]);
      if (applied.length === 1) {
        const index = processes.indexOf(defined(defined(applied[0]).process));
        const seen = defined(results[index]);
        // The writer either learned it won, or was told the outcome is unknown: never "you lost".
        expect(seen.error === undefined || seen.error instanceof OutcomeUnknownError).toBe(true);
        expect(bytesToText(defined(store.inspect('lease')).body)).toBe(`p${index}`);
      }
      for (const [index, result] of results.entries()) {
        if (applied[0]?.process === processes[index]) continue;
        expect(
          result.error instanceof PreconditionFailedError ||
            result.error instanceof OutcomeUnknownError ||
            result.error instanceof StorageUnavailableError,
        ).toBe(true);
        outcomesSeen.add((result.error as Error).constructor.name);
      }
    }
    expect([...outcomesSeen].sort()).toEqual(['OutcomeUnknownError', 'PreconditionFailedError', 'StorageUnavailableError']);
  });

  it('lets exactly one of 20 compare-and-swappers with the same ETag win', async () => {
    for (let seed = 0; seed < 100; seed += 1) {
      const { random, scheduler, store, processes, clients } = cluster(UNRELIABLE_STORE_FAULTS, `cas-${seed}`, 20);
      const { etag } = store.writeDirectly('lease', 'initial');
      const calls = processes.map((process, index) =>
        callAt(scheduler, process, random.between(0, 5), () => defined(clients[index]).put('lease', `p${index}`, { ifMatch: etag })),
      );
      await scheduler.run();
      const results = await Promise.all(calls);
      const swaps = store.history.filter((write) => write.condition === 'ifMatch');
      const winners = results.filter((result) => result.error === undefined);
      expect(swaps.length).toBeLessThanOrEqual(1);
      expect(winners.length).toBeLessThanOrEqual(1);
      if (winners.length === 1) expect(swaps).toHaveLength(1);
    }
  });

  describe('fault injection', () => {
    const timeoutMs = 1000;
    const certain = (fault: Partial<StoreFaults>): StoreFaults =>
      storeFaults({ latencyMs: { minimum: 10, maximum: 10 }, timeoutMs, ...fault });

    /** A conditional put, an unconditional put and a get, each from its own process, and what each saw. */
    async function tryAll(faults: StoreFaults, setUp?: (store: SimulatedStore) => void) {
      const { scheduler, store, processes, clients } = cluster(faults, 'faults', 3);
      setUp?.(store);
      const conditional = callAt(scheduler, defined(processes[0]), 0, () => defined(clients[0]).put('c', 'x', { ifNoneMatch: '*' }));
      const plain = callAt(scheduler, defined(processes[1]), 0, () => defined(clients[1]).put('u', 'x'));
      const read = callAt(scheduler, defined(processes[2]), 0, () => defined(clients[2]).get('c'));
      await scheduler.run();
      return { store, conditional: await conditional, plain: await plain, read: await read };
    }

    it('refused connection: StorageUnavailableError after one latency, even for a conditional write; nothing applied', async () => {
      const { store, conditional, plain, read } = await tryAll(certain({ refusedProbability: 1 }));
      for (const result of [conditional, plain, read]) {
        expect(result.error).toBeInstanceOf(StorageUnavailableError);
        expect(result.at).toBe(10);
      }
      expect(store.history).toHaveLength(0);
      expect(store.statistics.refused).toBe(3);
    });

    it('request lost: OutcomeUnknownError (conditional) or StorageUnavailableError after the timeout; nothing applied', async () => {
      const { store, conditional, plain, read } = await tryAll(certain({ requestLossProbability: 1 }));
      expect(conditional.error).toBeInstanceOf(OutcomeUnknownError);
      expect(plain.error).toBeInstanceOf(StorageUnavailableError);
      expect(read.error).toBeInstanceOf(StorageUnavailableError);
      expect([conditional.at, plain.at, read.at]).toEqual([timeoutMs, timeoutMs, timeoutMs]);
      expect(store.history).toHaveLength(0);
      expect(store.statistics).toMatchObject({ requestsLost: 3, timeouts: 3, applied: 0 });
    });

    it('server error: OutcomeUnknownError (conditional) or StorageUnavailableError after a round trip; nothing applied', async () => {
      const { store, conditional, plain, read } = await tryAll(certain({ serverErrorProbability: 1 }));
      expect(conditional.error).toBeInstanceOf(OutcomeUnknownError);
      expect(plain.error).toBeInstanceOf(StorageUnavailableError);
      expect(read.error).toBeInstanceOf(StorageUnavailableError);
      expect(conditional.at).toBe(20);
      expect(store.history).toHaveLength(0);
    });

    it('reply lost: the write WAS applied, yet the caller gets OutcomeUnknownError / StorageUnavailableError', async () => {
      const { store, conditional, plain, read } = await tryAll(certain({ replyLossProbability: 1 }));
      expect(conditional.error).toBeInstanceOf(OutcomeUnknownError);
      expect(plain.error).toBeInstanceOf(StorageUnavailableError);
      expect(read.error).toBeInstanceOf(StorageUnavailableError);
      expect(store.history.map((write) => write.key).sort()).toEqual(['c', 'u']);
      expect(bytesToText(defined(store.inspect('c')).body)).toBe('x');
    });

    it('409 for a lost race: OutcomeUnknownError instead of PreconditionFailedError; winners unaffected', async () => {
      const { store, conditional, plain } = await tryAll(certain({ conflictProbability: 1 }), (setUpStore) => {
        setUpStore.writeDirectly('c', 'taken');
      });
      expect(conditional.error).toBeInstanceOf(OutcomeUnknownError);
      expect(plain.error).toBeUndefined();
      expect(bytesToText(defined(store.inspect('c')).body)).toBe('taken');
      expect(store.statistics.conflicts).toBe(1);
    });

    it('applied, then 5xx: the writes took effect, yet the callers get OutcomeUnknownError / StorageUnavailableError; reads unaffected', async () => {
      const { store, conditional, plain, read } = await tryAll(certain({ appliedThenErrorChance: 1 }));
      expect(conditional.error).toBeInstanceOf(OutcomeUnknownError);
      expect(plain.error).toBeInstanceOf(StorageUnavailableError);
      // After a full round trip, not a timeout: the server answered.
      expect([conditional.at, plain.at]).toEqual([20, 20]);
      expect(read.error).toBeUndefined();
      expect(store.history.map((write) => [write.key, write.condition]).sort()).toEqual([
        ['c', 'ifNoneMatch'],
        ['u', 'none'],
      ]);
      expect(store.statistics).toMatchObject({ appliedThenErrors: 2, serverErrors: 0 });
    });

    it('applied, then 5xx: a re-read shows the write; a refused precondition still gets its 412; deletes too', async () => {
      const { scheduler, store, processes, clients } = cluster(certain({ appliedThenErrorChance: 1 }), 'applied-then-error');
      const [process, client] = [defined(processes[0]), defined(clients[0])];
      const seen: Record<string, unknown> = {};
      const sequence = callAt(scheduler, process, 0, async () => {
        seen.create = await client.put('k', 'mine', { ifNoneMatch: '*' }).catch((error: unknown) => error);
        seen.reread = await client.get('k');
        seen.lost = await client.put('k', 'other', { ifNoneMatch: '*' }).catch((error: unknown) => error);
        seen.delete = await client.delete('k', { ifMatch: defined(await client.get('k')).etag }).catch((error: unknown) => error);
        seen.after = await client.get('k');
      });
      await scheduler.run();
      expect((await sequence).error).toBeUndefined();
      expect(seen.create).toBeInstanceOf(OutcomeUnknownError);
      const reread = seen.reread as StoredObject;
      expect(bytesToText(reread.body)).toBe('mine');
      expect(reread.etag).toBe(defined(store.history[0]).etag);
      expect(seen.lost).toBeInstanceOf(PreconditionFailedError);
      expect(seen.delete).toBeInstanceOf(OutcomeUnknownError);
      expect(seen.after).toBeUndefined();
      expect(store.history.map((write) => [write.kind, write.condition, write.process])).toEqual([
        ['put', 'ifNoneMatch', process],
        ['delete', 'ifMatch', process],
      ]);
      expect(store.statistics.appliedThenErrors).toBe(2);
    });

    it('409 for a would-be winner: OutcomeUnknownError and nothing applied; plain writes unaffected', async () => {
      const { store, conditional, plain } = await tryAll(certain({ winnerConflictChance: 1 }));
      expect(conditional.error).toBeInstanceOf(OutcomeUnknownError);
      expect(conditional.at).toBe(20);
      expect(store.inspect('c')).toBeUndefined();
      expect(plain.error).toBeUndefined();
      expect(store.history.map((write) => write.key)).toEqual(['u']);
      expect(store.statistics).toMatchObject({ winnerConflicts: 1, conflicts: 0 });
    });

    it('409 for a would-be winner hits compare-and-swaps and conditional deletes too, never the losers', async () => {
      const { scheduler, store, processes, clients } = cluster(certain({ winnerConflictChance: 1 }), 'winner-conflict');
      const [process, client] = [defined(processes[0]), defined(clients[0])];
      const { etag } = store.writeDirectly('k', 'initial');
      const seen: unknown[] = [];
      const sequence = callAt(scheduler, process, 0, async () => {
        for (const attempt of [
          () => client.put('k', 'swapped', { ifMatch: etag }),
          () => client.delete('k', { ifMatch: etag }),
          () => client.put('k', 'stale', { ifMatch: 'stale' }),
          () => client.delete('k', { ifMatch: 'stale' }),
          () => client.put('k', 'taken', { ifNoneMatch: '*' }),
        ]) {
          seen.push(await attempt().catch((error: unknown) => (error as Error).constructor));
        }
      });
      await scheduler.run();
      expect((await sequence).error).toBeUndefined();
      expect(seen).toEqual([OutcomeUnknownError, OutcomeUnknownError, PreconditionFailedError, PreconditionFailedError, PreconditionFailedError]);
      expect(bytesToText(defined(store.inspect('k')).body)).toBe('initial');
      expect(store.history).toHaveLength(1);
      expect(store.statistics.winnerConflicts).toBe(2);
    });

    it('draws the same numbers whatever the new chances: latencies and older faults do not move', async () => {
      async function run(fault: Partial<StoreFaults>) {
        const faults = { ...UNRELIABLE_STORE_FAULTS, timeoutMs, ...fault };
        const { scheduler, store, processes, clients } = cluster(faults, 'stable-draws', 10);
        const calls = processes.map((process, index) =>
          callAt(scheduler, process, index, () => defined(clients[index]).put(`k${index % 3}`, 'v', { ifNoneMatch: '*' })),
        );
        await scheduler.run();
        const results = await Promise.all(calls);
        return { at: results.map((result) => result.at), statistics: store.statistics };
      }
      const calm = await run({ appliedThenErrorChance: 0, winnerConflictChance: 0 });
      const harsh = await run({ appliedThenErrorChance: 1, winnerConflictChance: 1 });
      expect(harsh.at).toEqual(calm.at);
      const { refused, requestsLost, serverErrors, repliesLost, spikes } = calm.statistics;
      expect(harsh.statistics).toMatchObject({ refused, requestsLost, serverErrors, repliesLost, spikes });
      expect(harsh.statistics.winnerConflicts).toBeGreaterThan(0);
    });

    it('latency spike past the timeout: the caller gives up, and the write lands afterwards', async () => {
      const { store, conditional } = await tryAll(certain({ spikeProbability: 1, spikeLatencyMs: { minimum: 5000, maximum: 5000 } }));
      expect(conditional.error).toBeInstanceOf(OutcomeUnknownError);
      expect(conditional.at).toBe(timeoutMs);
      const write = store.history.find((entry) => entry.key === 'c');
      expect(write?.time).toBe(5000);
    });

    it('measures the timeout on the caller\u2019s own clock', async () => {
      const scheduler = new SimulatedScheduler();
      const store = new SimulatedStore(scheduler, certain({ requestLossProbability: 1 }), new SeededRandom(1));
      const fast = new SimulatedProcess(scheduler, { rate: 2 });
      const result = callAt(scheduler, fast, 0, () => store.storeFor(fast).get('k'));
      await scheduler.run();
      expect((await result).at).toBe(timeoutMs / 2);
    });
  });

  it('delivers no response to a crashed caller, though its write still applies', async () => {
    const { scheduler, store, processes, clients } = cluster(storeFaults({ latencyMs: { minimum: 10, maximum: 10 } }), 5);
    let settled = false;
    void callAt(scheduler, defined(processes[0]), 0, () => defined(clients[0]).put('k', 'v', { ifNoneMatch: '*' })).then(() => {
      settled = true;
    });
    scheduler.schedule(5, () => {
      defined(processes[0]).crash();
    });
    await scheduler.run();
    expect(settled).toBe(false);
    expect(store.history).toHaveLength(1);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('holds a response for a paused caller until it resumes', async () => {
    const { scheduler, store, processes, clients } = cluster(storeFaults({ latencyMs: { minimum: 10, maximum: 10 } }), 6);
    const result = callAt(scheduler, defined(processes[0]), 0, () => defined(clients[0]).put('k', 'v'));
    scheduler.schedule(5, () => {
      defined(processes[0]).pause(100);
    });
    await scheduler.run();
    expect((await result).at).toBe(105);
    expect(defined(store.history[0]).time).toBe(10);
  });

  it('loses requests sent and responses due during a partition', async () => {
    const faults = storeFaults({ latencyMs: { minimum: 10, maximum: 10 }, timeoutMs: 500 });
    const { scheduler, store, processes, clients } = cluster(faults, 7);
    const [process, client] = [defined(processes[0]), defined(clients[0])];
    scheduler.schedule(0, () => {
      store.partition(process, 100);
    });
    const duringPartition = callAt(scheduler, process, 1, () => client.put('a', 'v'));
    // Sent the instant the partition heals: applied at 110, answered at 120.
    const healed = callAt(scheduler, process, 100, () => client.put('b', 'v'));
    // Sent at 200, then a new partition swallows the response due at 220; the write applied at 210.
    const replyLost = callAt(scheduler, process, 200, () => client.put('c', 'v', { ifNoneMatch: '*' }));
    scheduler.schedule(215, () => {
      store.partition(process, 10);
    });
    await scheduler.run();
    expect((await duringPartition).error).toBeInstanceOf(StorageUnavailableError);
    const healedResult = await healed;
    expect(healedResult.at).toBe(120);
    expect(typeof healedResult.value?.etag).toBe('string');
    expect((await replyLost).error).toBeInstanceOf(OutcomeUnknownError);
    expect(store.history.map((write) => write.key)).toEqual(['b', 'c']);
  });

  it('honours abort signals: before sending nothing is sent; in flight it rejects at once but may still apply', async () => {
    const { scheduler, store, processes, clients } = cluster(storeFaults({ latencyMs: { minimum: 10, maximum: 10 } }), 8);
    const [process, client] = [defined(processes[0]), defined(clients[0])];
    const controller = new AbortController();
    controller.abort();
    await expect(client.put('a', 'v', { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(store.statistics.requests).toBe(0);

    const inFlight = new AbortController();
    const result = callAt(scheduler, process, 0, () => client.put('b', 'v', { ifNoneMatch: '*', signal: inFlight.signal }));
    scheduler.schedule(3, () => {
      process.dispatch(() => {
        inFlight.abort();
      });
    });
    await scheduler.run();
    expect(await result).toMatchObject({ at: 3, error: { name: 'AbortError' } });
    expect(store.history.map((write) => write.key)).toEqual(['b']);
  });

  it('rejects fault models with impossible values', () => {
    expect(() => storeFaults({ requestLossProbability: 2 })).toThrow(RangeError);
    expect(() => storeFaults({ latencyMs: { minimum: 5, maximum: 1 } })).toThrow(RangeError);
    expect(() => storeFaults({ timeoutMs: 0 })).toThrow(RangeError);
    for (const field of ['appliedThenErrorChance', 'winnerConflictChance'] as const) {
      for (const value of [-0.1, 1.5, Number.NaN]) expect(() => storeFaults({ [field]: value })).toThrow(new RegExp(field));
      expect(storeFaults({ [field]: 1 })[field]).toBe(1);
      const store = new SimulatedStore(new SimulatedScheduler(), HEALTHY_STORE_FAULTS, new SeededRandom(1));
      expect(() => {
        store.setFaults({ ...HEALTHY_STORE_FAULTS, [field]: 2 });
      }).toThrow(RangeError);
    }
  });
});
