import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { bytesToText } from '../body';
import { deleteKeys } from '../delete-keys';
import { isStorageError, type StorageErrorCode } from '../errors';
import { compareKeys } from '../keys';
import type { ObjectStore, PutResult, StoredObject } from '../object-store';

/**
 * The conformance kit for `ObjectStore` backends. Every backend in this repository runs it, and a
 * backend author runs it with any test runner:
 *
 * ```ts
 * import { objectStoreConformanceCases } from '@baton/storage/testkit';
 * for (const testCase of objectStoreConformanceCases({ store: () => new MyStore(...) })) {
 *   it(testCase.name, testCase.run, testCase.timeoutMs);
 * }
 * ```
 *
 * Cases throw (an `AssertionError`) on the first violation. They write only under a fresh random
 * prefix, so they may share one store (and one bucket) with each other and with other suites.
 */
export interface ConformanceOptions {
  /** Returns the store under test. Called once per case; may return the same instance each time. */
  store: () => ObjectStore | Promise<ObjectStore>;
  /** Writers in each race. Default 20. */
  racers?: number;
  /** Rounds of each race. Default 10. */
  rounds?: number;
  /** Case names to leave out, with the reason in your own test file. */
  skip?: readonly string[];
}

/** One conformance case. */
export interface ConformanceCase {
  /** What it checks. Stable: usable in `skip`. */
  name: string;
  /** Runs the case; rejects on a violation. */
  run: () => Promise<void>;
  /** A time budget that suits it on a slow network store. */
  timeoutMs: number;
}

/** The conformance cases for a backend. */
export function objectStoreConformanceCases(options: ConformanceOptions): ConformanceCase[] {
  const racers = options.racers ?? 20;
  const rounds = options.rounds ?? 10;
  const skipped = new Set(options.skip ?? []);

  function define(name: string, timeoutMs: number, body: (store: ObjectStore, prefix: string) => Promise<void>): ConformanceCase {
    return {
      name,
      timeoutMs,
      run: async () => {
        const store = await options.store();
        await body(store, `conformance-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`);
      },
    };
  }

  const cases: ConformanceCase[] = [
    define('get of a missing key resolves undefined', 10_000, async (store, prefix) => {
      assert.equal(await store.get(`${prefix}missing`), undefined);
    }),

    define('put then get round-trips strings, bytes and empty bodies', 10_000, async (store, prefix) => {
      const binary = new Uint8Array(256).map((_value, index) => index);
      const samples: [string, string | Uint8Array][] = [
        ['text', 'héllo wörld ✓'],
        ['binary', binary],
        ['empty', ''],
        ['json', JSON.stringify({ a: 1, nested: { b: [1, 2, 3] } })],
      ];
      for (const [name, body] of samples) {
        const { etag } = await store.put(`${prefix}${name}`, body);
        const read = await store.get(`${prefix}${name}`);
        assert.ok(read, `${name}: written object not found`);
        assert.deepEqual(read.body, typeof body === 'string' ? new TextEncoder().encode(body) : body, `${name}: bytes differ`);
        assert.equal(read.key, `${prefix}${name}`);
        assert.equal(read.etag, etag, `${name}: put returned ETag ${etag}, get reports ${read.etag}`);
        assert.ok(!read.etag.startsWith('"'), 'ETags are returned without quotes');
      }
    }),

    define('a caller editing its buffer after put does not change the stored object', 10_000, async (store, prefix) => {
      const body = new Uint8Array([1, 2, 3]);
      await store.put(`${prefix}buffer`, body);
      body[0] = 99;
      const read = await store.get(`${prefix}buffer`);
      assert.deepEqual(read?.body, new Uint8Array([1, 2, 3]));
    }),

    define('overwriting with different bytes changes the ETag', 10_000, async (store, prefix) => {
      const first = await store.put(`${prefix}object`, 'one');
      const second = await store.put(`${prefix}object`, 'two');
      assert.notEqual(first.etag, second.etag);
      assert.equal(bytesToText((await store.get(`${prefix}object`))?.body ?? new Uint8Array()), 'two');
    }),

    define('delete removes an object; deleting a missing key succeeds', 10_000, async (store, prefix) => {
      await store.put(`${prefix}doomed`, 'x');
      await store.delete(`${prefix}doomed`);
      assert.equal(await store.get(`${prefix}doomed`), undefined);
      await store.delete(`${prefix}doomed`);
      await store.delete(`${prefix}never-existed`);
    }),

    define('deleteKeys (deleteMany where offered) removes exactly the given keys', 30_000, async (store, prefix) => {
      const keys = Array.from({ length: 25 }, (_value, index) => `${prefix}batch/${String(index).padStart(2, '0')}`);
      for (const key of keys) await store.put(key, 'x');
      const doomed = keys.filter((_key, index) => index % 2 === 0);
      await deleteKeys(store, [...doomed, `${prefix}batch/never-existed`]);
      for (const key of keys) {
        assert.equal((await store.get(key)) === undefined, doomed.includes(key), `${key}: ${doomed.includes(key) ? 'not deleted' : 'deleted but not asked'}`);
      }
      if (store.deleteMany !== undefined) {
        await assertRejects(store.deleteMany([keys[1] as string, '../escape']), 'INVALID_KEY');
        assert.ok(await store.get(keys[1] as string), 'a batch with an invalid key must delete nothing');
        await store.deleteMany([]);
      }
    }),

    define('ifNoneMatch * creates when absent and is refused when present', 10_000, async (store, prefix) => {
      const created = await store.put(`${prefix}lease`, 'first', { ifNoneMatch: '*' });
      await assertRejects(store.put(`${prefix}lease`, 'second', { ifNoneMatch: '*' }), 'PRECONDITION_FAILED');
      const read = await store.get(`${prefix}lease`);
      assert.ok(read);
      assert.equal(bytesToText(read.body), 'first', 'a refused create must not write');
      assert.equal(read.etag, created.etag);
      await store.delete(`${prefix}lease`);
      await store.put(`${prefix}lease`, 'again', { ifNoneMatch: '*' });
    }),

    define('ifMatch swaps with the current ETag and is refused with a stale one', 10_000, async (store, prefix) => {
      const first = await store.put(`${prefix}record`, 'v1');
      const second = await store.put(`${prefix}record`, 'v2', { ifMatch: first.etag });
      await assertRejects(store.put(`${prefix}record`, 'v3', { ifMatch: first.etag }), 'PRECONDITION_FAILED');
      const read = await store.get(`${prefix}record`);
      assert.ok(read);
      assert.equal(bytesToText(read.body), 'v2', 'a refused swap must not write');
      assert.equal(read.etag, second.etag);
    }),

    define('ifMatch on a missing key is refused', 10_000, async (store, prefix) => {
      const elsewhere = await store.put(`${prefix}elsewhere`, 'x');
      await assertRejects(store.put(`${prefix}missing`, 'y', { ifMatch: elsewhere.etag }), 'PRECONDITION_FAILED');
      assert.equal(await store.get(`${prefix}missing`), undefined);
    }),

    define('conditional delete is enforced, or refused as unsupported', 10_000, async (store, prefix) => {
      const first = await store.put(`${prefix}target`, 'v1');
      const second = await store.put(`${prefix}target`, 'v2');
      if (!store.capabilities.conditionalDelete) {
        await assertRejects(store.delete(`${prefix}target`, { ifMatch: second.etag }), 'UNSUPPORTED_OPERATION');
        assert.ok(await store.get(`${prefix}target`), 'an unsupported conditional delete must not delete');
        return;
      }
      await assertRejects(store.delete(`${prefix}target`, { ifMatch: first.etag }), 'PRECONDITION_FAILED');
      assert.ok(await store.get(`${prefix}target`), 'a refused delete must not delete');
      await store.delete(`${prefix}target`, { ifMatch: second.etag });
      assert.equal(await store.get(`${prefix}target`), undefined);
    }),

    define(`racing creates: ${racers} writers, exactly one wins, every round`, 120_000, async (store, prefix) => {
      for (let round = 0; round < rounds; round += 1) {
        const key = `${prefix}race-${round}`;
        const bodies = Array.from({ length: racers }, (_value, racer) => `racer-${racer}`);
        const outcomes = await Promise.allSettled(bodies.map((body) => store.put(key, body, { ifNoneMatch: '*' })));
        await assertExactlyOneWinner(store, key, bodies, outcomes, `round ${round}`);
      }
    }),

    define(`racing compare-and-swap: ${racers} writers from one ETag, exactly one wins, every round`, 120_000, async (store, prefix) => {
      const key = `${prefix}cas`;
      let { etag } = await store.put(key, 'round-start');
      for (let round = 0; round < rounds; round += 1) {
        const bodies = Array.from({ length: racers }, (_value, racer) => `round-${round}-racer-${racer}`);
        const outcomes = await Promise.allSettled(bodies.map((body) => store.put(key, body, { ifMatch: etag })));
        await assertExactlyOneWinner(store, key, bodies, outcomes, `round ${round}`);
        etag = (await store.get(key))?.etag ?? assert.fail('the object vanished');
      }
    }),

    define('concurrent read-modify-write increments lose no update', 120_000, async (store, prefix) => {
      const key = `${prefix}counter`;
      const writers = 5;
      const incrementsEach = 8;
      await store.put(key, JSON.stringify({ history: [] }));
      await Promise.all(
        Array.from({ length: writers }, (_value, writer) =>
          incrementCounter(store, key, `writer-${writer}`, incrementsEach),
        ),
      );
      const history = readHistory(await store.get(key));
      assert.equal(history.length, writers * incrementsEach, 'every increment applied exactly once');
      assert.equal(new Set(history).size, history.length, 'no increment applied twice');
    }),

    define('list returns keys under the prefix in UTF-8 order, in pages', 60_000, async (store, prefix) => {
      const keys = [
        ...Array.from({ length: 23 }, (_value, index) => `${prefix}a/${String(index).padStart(2, '0')}`),
        `${prefix}a/nested/deep/x`,
        `${prefix}a/é`,
        `${prefix}a/😀`,
        `${prefix}a/\uFFFD`,
      ];
      const outside = [`${prefix}ab/not-mine`, `${prefix}a`, `${prefix}b/not-mine`];
      await Promise.all([...keys, ...outside].map((key) => store.put(key, key)));
      const listed: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ prefix: `${prefix}a/`, limit: 5, ...(cursor === undefined ? {} : { cursor }) });
        assert.ok(page.entries.length <= 5, `a page of limit 5 had ${page.entries.length} entries`);
        listed.push(...page.entries.map((entry) => entry.key));
        for (const entry of page.entries) {
          assert.equal(entry.size, Buffer.byteLength(entry.key), `size of ${entry.key}`);
          // ETags in listings are optional, but when given they must be the object's own.
          if (entry.etag !== undefined) assert.equal(entry.etag, (await store.get(entry.key))?.etag, `listed ETag of ${entry.key}`);
        }
        cursor = page.nextCursor;
        pages += 1;
        assert.ok(pages < 20, 'pagination does not end');
      } while (cursor !== undefined);
      assert.deepEqual(listed, [...keys].sort(compareKeys), 'keys, in UTF-8 byte order, each once');
      const partial = await store.list({ prefix: `${prefix}a/0` });
      assert.deepEqual(
        partial.entries.map((entry) => entry.key),
        keys.filter((key) => key.startsWith(`${prefix}a/0`)).sort(compareKeys),
        'a prefix may end mid-segment',
      );
      assert.deepEqual((await store.list({ prefix: `${prefix}zzz/` })).entries, []);
    }),

    define('unicode and punctuation keys round-trip', 30_000, async (store, prefix) => {
      const names = ['日本語/ファイル', 'émoji-😀', 'spaces in name', 'per%cent', 'plus+sign', 'q?uery&amp=1#frag', 'tilde~', 'colon:star*', 'dots.in.name..x', '.hidden', '...'];
      for (const name of names) {
        const key = `${prefix}${name}`;
        await store.put(key, name);
        const read = await store.get(key);
        assert.equal(read && bytesToText(read.body), name, `round-trip of ${JSON.stringify(name)}`);
      }
      const listed = (await store.list({ prefix })).entries.map((entry) => entry.key);
      assert.deepEqual(listed, names.map((name) => `${prefix}${name}`).sort(compareKeys));
    }),

    define('keys that could escape or corrupt are rejected with InvalidKeyError', 10_000, async (store, prefix) => {
      const invalid = [
        '',
        '/absolute',
        `${prefix}a//b`,
        `${prefix}..`,
        `${prefix}a/../../etc/passwd`,
        `${prefix}./x`,
        `${prefix}nul\u0000byte`,
        `${prefix}new\nline`,
        `${prefix}back\\slash`,
        `${prefix}trailing/`,
        `${prefix}lone-\uD800-surrogate`,
        `${prefix}${'x'.repeat(1025)}`,
      ];
      for (const key of invalid) {
        await assertRejects(store.get(key), 'INVALID_KEY', `get(${JSON.stringify(key)})`);
        await assertRejects(store.put(key, 'x'), 'INVALID_KEY', `put(${JSON.stringify(key)})`);
        await assertRejects(store.delete(key), 'INVALID_KEY', `delete(${JSON.stringify(key)})`);
      }
      await assertRejects(store.list({ prefix: '../' }), 'INVALID_KEY', 'list of "../"');
      assert.deepEqual((await store.list({ prefix })).entries, [], 'nothing was written');
    }),

    define('an aborted signal rejects every operation and writes nothing', 10_000, async (store, prefix) => {
      const controller = new AbortController();
      controller.abort();
      const signal = controller.signal;
      await assertAborted(store.get(`${prefix}x`, { signal }));
      await assertAborted(store.put(`${prefix}x`, 'x', { signal }));
      await assertAborted(store.put(`${prefix}x`, 'x', { ifNoneMatch: '*', signal }));
      await assertAborted(store.delete(`${prefix}x`, { signal }));
      await assertAborted(store.list({ prefix, signal }));
      assert.equal(await store.get(`${prefix}x`), undefined);
    }),
  ];
  return cases.filter((testCase) => !skipped.has(testCase.name));
}

/**
 * Appends `count` distinct ids to the JSON history at `key` by read-modify-write with `ifMatch`.
 * The history also settles "outcome unknown" replies: an id found after re-reading was applied.
 */
export async function incrementCounter(store: ObjectStore, key: string, writer: string, count: number): Promise<void> {
  for (let done = 0; done < count; ) {
    const id = `${writer}-${done}`;
    const current = await store.get(key);
    assert.ok(current, `${key} vanished`);
    try {
      await store.put(key, JSON.stringify({ history: [...readHistory(current), id] }), { ifMatch: current.etag });
      done += 1;
    } catch (error) {
      if (isStorageError(error, 'OUTCOME_UNKNOWN')) {
        if (readHistory(await store.get(key)).includes(id)) done += 1;
      } else if (!isStorageError(error, 'PRECONDITION_FAILED')) {
        throw error;
      }
    }
  }
}

/** The history a counter object holds. */
export function readHistory(object: StoredObject | undefined): string[] {
  assert.ok(object, 'the counter object is missing');
  return (JSON.parse(bytesToText(object.body)) as { history: string[] }).history;
}

/**
 * Exactly one of the racing writes took effect. A write that reported success won; one that
 * reported "outcome unknown" may have won, which the stored body tells. Everything else must be
 * a precondition failure.
 */
async function assertExactlyOneWinner(
  store: ObjectStore,
  key: string,
  bodies: readonly string[],
  outcomes: readonly PromiseSettledResult<PutResult>[],
  context: string,
): Promise<void> {
  const succeeded = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected' && !isStorageError(outcome.reason, 'PRECONDITION_FAILED') && !isStorageError(outcome.reason, 'OUTCOME_UNKNOWN')) {
      throw outcome.reason;
    }
  }
  assert.ok(succeeded.length <= 1, `${context}: ${succeeded.length} writers were told they won`);
  const stored = await store.get(key);
  assert.ok(stored, `${context}: no object after the race`);
  const storedBody = bytesToText(stored.body);
  const winner = bodies.indexOf(storedBody);
  assert.ok(winner !== -1, `${context}: the stored body ${JSON.stringify(storedBody)} is nobody's`);
  if (succeeded.length === 1) {
    assert.equal(winner, succeeded[0], `${context}: writer ${succeeded[0]} was told it won but writer ${winner}'s body is stored`);
  } else {
    const winnerOutcome = outcomes[winner];
    assert.ok(
      winnerOutcome?.status === 'rejected' && isStorageError(winnerOutcome.reason, 'OUTCOME_UNKNOWN'),
      `${context}: nobody was told they won, and the stored writer was told it lost`,
    );
  }
}

async function assertRejects(promise: Promise<unknown>, code: StorageErrorCode, context = ''): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isStorageError(error, code), `${context} expected ${code}, got ${String(error)}`);
    return;
  }
  assert.fail(`${context} expected ${code}, but it succeeded`);
}

async function assertAborted(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as Error).name, 'AbortError', `expected an AbortError, got ${String(error)}`);
    return;
  }
  assert.fail('expected an AbortError, but it succeeded');
}
