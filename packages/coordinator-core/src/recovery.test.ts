import { systemEnvironment, type Clock } from '@baton/plugin';
import { MemoryStore, OutcomeUnknownError, StorageUnavailableError, type GetOptions, type ObjectBody, type ObjectStore, type PutOptions } from '@baton/storage';
import { waitUntil } from '@tooling/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveCoordinatorConfig } from './config';
import { MAX_EPOCH, readEpochLedger } from './epoch-ledger';
import { connect, type Hub } from './hub';
import { LeaseElection } from './lease-election';
import { parseLeaseRecord } from './lease-record';
import { clearCorruptedState, forceReelection, isResetHolder, RecoveryError } from './recovery';
import { namespaceKeys } from './storage-keys';

const KEYS = namespaceKeys('default');

class ManualClock implements Clock {
  monotonic = 0;
  monotonicNow(): number {
    return this.monotonic;
  }
  wallNow(): number {
    return 1_800_000_000_000 + this.monotonic;
  }
}

function electionOn(store: MemoryStore, workerId: string) {
  const clock = new ManualClock();
  const config = resolveCoordinatorConfig({ heartbeatInterval: 1000, leaseTimeout: 3000, workerTimeout: 4000 });
  return { clock, election: new LeaseElection({ store, key: KEYS.state, ledgerKey: KEYS.epochLedger, namespace: 'default', workerId, config, clock, timers: systemEnvironment.timers }) };
}

async function storedRecord(store: MemoryStore) {
  const stored = await store.get(KEYS.state);
  const parsed = stored === undefined ? undefined : parseLeaseRecord(stored.body);
  if (parsed?.valid !== true) throw new Error('no valid lease record');
  return parsed.record;
}

describe('forceReelection (step by step, on manual clocks)', () => {
  it('ends the term at once for the leader, makes followers wait a full lease, and raises the epoch twice', async () => {
    const store = new MemoryStore();
    const a = electionOn(store, 'gcs-a');
    const b = electionOn(store, 'gcs-b');
    expect((await a.election.runCycle()).kind).toBe('acquired');
    await b.election.runCycle();

    const result = await forceReelection(store, { operator: 'alice', leaseTimeout: 3000 });
    expect(result).toMatchObject({ outcome: 'reset', previous: { leader: 'gcs-a', epoch: 1 }, written: { epoch: 2, leaseTimeout: 3000 } });
    expect(isResetHolder(result.written?.holder)).toBe(true);
    expect((await storedRecord(store)).leader).toBe(result.written?.holder);

    // The old leader's renewal is refused: it stops leading.
    a.clock.monotonic += 1000;
    expect(await a.election.runCycle()).toMatchObject({ kind: 'lost', epoch: 1 });
    expect(a.election.isLeader).toBe(false);

    // A held record, not a released one: nobody claims it before watching it for leaseTimeout.
    b.clock.monotonic += 1000;
    expect(await b.election.runCycle()).toMatchObject({ kind: 'following', leader: result.written?.holder, epoch: 2 });
    a.clock.monotonic += 1000;
    expect((await a.election.runCycle()).kind).toBe('following');
    b.clock.monotonic += 2999;
    expect((await b.election.runCycle()).kind).toBe('following');
    b.clock.monotonic += 1;
    expect(await b.election.runCycle()).toEqual({ kind: 'acquired', epoch: 3, previousLeader: result.written?.holder });
  });

  it('writes an epoch above every registered one when the record fell behind them', async () => {
    const store = new MemoryStore();
    await electionOn(store, 'gcs-a').election.runCycle();
    await store.put(KEYS.worker('gcs-old'), JSON.stringify({ format: 'baton.worker/v1', workerId: 'gcs-old', epoch: 9 }));
    expect((await forceReelection(store)).written?.epoch).toBe(10);
  });

  it('gets past out-of-domain epochs: a registration claiming one is ignored, a ledger holding one is replaced by compare-and-swap', async () => {
    const store = new MemoryStore();
    await electionOn(store, 'gcs-a').election.runCycle();
    // A safe integer above 2^40: no term has it, so it must not become the reset's epoch floor.
    await store.put(KEYS.worker('gcs-forged'), JSON.stringify({ format: 'baton.worker/v1', workerId: 'gcs-forged', epoch: MAX_EPOCH * 4 }));
    await store.put(KEYS.epochLedger, JSON.stringify({ format: 'baton.epochs/v1', namespace: 'default', highestEpoch: MAX_EPOCH + 1, longestLeaseTimeout: 3000, reservedBy: 'x', reservedAt: 0 }));
    const result = await forceReelection(store);
    expect(result).toMatchObject({ outcome: 'reset', written: { epoch: 2 } });
    expect(await readEpochLedger(store, KEYS.epochLedger)).toMatchObject({ kind: 'valid', record: { highestEpoch: 2 } });

    await store.put(KEYS.state, JSON.stringify({ ...(await storedRecord(store)), epoch: MAX_EPOCH + 1 }));
    expect((await clearCorruptedState(store)).written?.epoch).toBe(3);
  });

  it('is idempotent, and leaves a released record alone', async () => {
    const store = new MemoryStore();
    const a = electionOn(store, 'gcs-a');
    await a.election.runCycle();
    expect((await forceReelection(store)).outcome).toBe('reset');
    expect((await forceReelection(store)).outcome).toBe('already-reset');
    expect((await storedRecord(store)).epoch).toBe(2);

    const other = new MemoryStore();
    const c = electionOn(other, 'gcs-c');
    await c.election.runCycle();
    await c.election.release();
    expect((await forceReelection(other)).outcome).toBe('already-released');
  });

  it('refuses a missing or corrupted record, and reports a lost race as a conflict', async () => {
    const store = new MemoryStore();
    await expect(forceReelection(store)).rejects.toMatchObject({ code: 'NO_LEASE_RECORD' });
    await store.put(KEYS.state, '{not json');
    await expect(forceReelection(store)).rejects.toMatchObject({ code: 'CORRUPTED_LEASE_RECORD' });

    const racing = new MemoryStore();
    const a = electionOn(racing, 'gcs-a');
    await a.election.runCycle();
    const put = racing.put.bind(racing);
    racing.put = async (key: string, body: ObjectBody, options?: PutOptions) => {
      racing.put = put;
      a.clock.monotonic += 1000;
      await a.election.runCycle(); // the leader renews between the reset's read and its write
      return put(key, body, options);
    };
    const error = await forceReelection(racing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RecoveryError);
    expect(error).toMatchObject({ code: 'CONFLICT' });
    expect((await storedRecord(racing)).leader).toBe('gcs-a');
    // The reset's reserved epoch never became a term, and the ledger says so: after a crash of a,
    // a follower that knows a's epoch waits one lease, not a second one for a term it "missed".
    const ledger = JSON.parse(new TextDecoder().decode((await racing.get(KEYS.epochLedger))?.body)) as { highestEpoch: number; unclaimedAbove?: number };
    expect(ledger).toMatchObject({ highestEpoch: 2, unclaimedAbove: 1 });
    const b = electionOn(racing, 'gcs-b');
    expect((await b.election.runCycle()).kind).toBe('following');
    b.clock.monotonic += 3000;
    expect(await b.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 3 });
  });

  it('settles an unknown outcome by re-reading its own bytes', async () => {
    const store = new MemoryStore();
    await electionOn(store, 'gcs-a').election.runCycle();
    const put = store.put.bind(store);
    store.put = async (key: string, body: ObjectBody, options?: PutOptions) => {
      await put(key, body, options);
      throw new OutcomeUnknownError({ operation: 'put', key });
    };
    expect((await forceReelection(store)).outcome).toBe('reset');
  });
});

describe('clearCorruptedState', () => {
  it('replaces an unreadable record with a held one above every registered epoch, and removes unreadable registrations', async () => {
    const store = new MemoryStore();
    await store.put(KEYS.state, 'garbage');
    await store.put(KEYS.worker('gcs-x'), JSON.stringify({ format: 'baton.worker/v1', workerId: 'gcs-x', epoch: 7 }));
    await store.put(KEYS.worker('gcs-broken'), '{');
    const result = await clearCorruptedState(store, { leaseTimeout: 3000 });
    expect(result).toMatchObject({ outcome: 'reset', written: { epoch: 8, leaseTimeout: 3000 }, removedRegistrations: ['gcs-broken'] });
    expect(await store.get(KEYS.worker('gcs-broken'))).toBeUndefined();
    const b = electionOn(store, 'gcs-b');
    expect((await b.election.runCycle()).kind).toBe('following');
    b.clock.monotonic += 3000;
    expect(await b.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 9 });
  });

  it('takes an epoch above every term ever reserved after a graceful fleet stop left no registrations (the epoch ledger)', async () => {
    const store = new MemoryStore();
    for (const id of ['gcs-a', 'gcs-b', 'gcs-c']) {
      const term = electionOn(store, id);
      expect((await term.election.runCycle()).kind).toBe('acquired');
      await term.election.release(); // each stops gracefully: no registration is left behind
    }
    await store.put(KEYS.state, 'garbage');
    const cleared = await clearCorruptedState(store, { leaseTimeout: 3000 });
    expect(cleared).toMatchObject({ outcome: 'reset', written: { epoch: 4 } });
    const reset = await forceReelection(store, { leaseTimeout: 3000 }); // already reset: nothing written
    expect(reset.outcome).toBe('already-reset');
    const next = electionOn(store, 'gcs-d');
    expect((await next.election.runCycle()).kind).toBe('following');
    next.clock.monotonic += 3000;
    expect(await next.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 5 });
  });

  it('never deletes a registration its worker rewrote after the recovery read it (with or without conditional DELETE)', async () => {
    for (const conditionalDelete of [true, false]) {
      const inner = new MemoryStore();
      const valid = JSON.stringify({ format: 'baton.worker/v1', workerId: 'gcs-live', epoch: 3 });
      let reads = 0;
      // The worker re-registers right after the recovery's read of its (then unreadable) record.
      const store: ObjectStore = {
        capabilities: { ...inner.capabilities, conditionalDelete },
        description: 'a worker re-registering mid-recovery',
        get: async (key, options) => {
          const read = await inner.get(key, options);
          if (key === KEYS.worker('gcs-live') && (reads += 1) === 1) await inner.put(key, valid);
          return read;
        },
        put: (key, body, options) => inner.put(key, body, options),
        delete: (key, options) => inner.delete(key, options),
        deleteMany: (keys, options) => inner.deleteMany(keys, options),
        list: (options) => inner.list(options),
      };
      await inner.put(KEYS.state, 'garbage');
      await inner.put(KEYS.worker('gcs-live'), '{');
      const result = await clearCorruptedState(store, { leaseTimeout: 3000 });
      expect(result, `conditionalDelete: ${conditionalDelete}`).toMatchObject({ outcome: 'reset', removedRegistrations: [] });
      expect(new TextDecoder().decode((await inner.get(KEYS.worker('gcs-live')))?.body)).toBe(valid);
    }
  });

  it('writes only conditionally: every PUT carries If-Match or If-None-Match, every DELETE If-Match or follows a re-read of that key', async () => {
    for (const conditionalDelete of [true, false]) {
      const inner = new MemoryStore();
      const requests: string[] = [];
      const store: ObjectStore = {
        capabilities: { ...inner.capabilities, conditionalDelete },
        description: 'recording requests',
        get: (key, options) => {
          requests.push(`get ${key}`);
          return inner.get(key, options);
        },
        put: (key, body, options) => {
          requests.push(`put ${key} ${options?.ifMatch === undefined ? (options?.ifNoneMatch === undefined ? 'plain' : 'if-none-match') : 'if-match'}`);
          return inner.put(key, body, options);
        },
        delete: (key, options) => {
          requests.push(`delete ${key} ${options?.ifMatch === undefined ? 'plain' : 'if-match'}`);
          return inner.delete(key, options);
        },
        list: (options) => inner.list(options),
      };
      await electionOn(inner, 'gcs-a').election.runCycle();
      // Two, so that the scan has read both before the first DELETE: a re-read shows in the order.
      await inner.put(KEYS.worker('gcs-broken'), '{');
      await inner.put(KEYS.worker('gcs-broken-2'), '[');
      expect((await forceReelection(store)).outcome).toBe('reset');
      await inner.put(KEYS.state, 'garbage');
      expect((await clearCorruptedState(store)).removedRegistrations.sort()).toEqual(['gcs-broken', 'gcs-broken-2']);
      expect(requests.filter((request) => request.startsWith('put ')).every((request) => !request.endsWith(' plain'))).toBe(true);
      for (const [index, request] of requests.entries()) {
        if (!request.startsWith('delete ') || request.endsWith(' if-match')) continue;
        // An unconditional DELETE only where the store ignores If-Match, right after re-reading that key.
        expect(conditionalDelete).toBe(false);
        expect(requests[index - 1]).toBe(`get ${request.split(' ')[1] ?? ''}`);
      }
      expect(requests.some((request) => request.startsWith('delete '))).toBe(true);
    }
  });

  it('leaves a valid or missing record alone', async () => {
    const store = new MemoryStore();
    expect((await clearCorruptedState(store)).outcome).toBe('nothing-to-clear');
    await electionOn(store, 'gcs-a').election.runCycle();
    expect(await clearCorruptedState(store)).toMatchObject({ outcome: 'nothing-to-clear', previous: { leader: 'gcs-a', epoch: 1 } });
  });
});

/**
 * Makes the next PUT of the lease record time out without applying (the reply lost, the request
 * never landed), runs `meanwhile` before the timeout is reported, and then fails the re-read that
 * would settle the write when `rereadFails`.
 */
function loseNextStatePut(store: MemoryStore, behaviour: { meanwhile?: () => Promise<unknown>; rereadFails?: boolean }): void {
  const put = store.put.bind(store);
  const get = store.get.bind(store);
  store.put = async (key: string, body: ObjectBody, options?: PutOptions) => {
    if (key !== KEYS.state) return put(key, body, options);
    store.put = put;
    await behaviour.meanwhile?.();
    if (behaviour.rereadFails === true) {
      store.get = async (readKey: string, readOptions?: GetOptions) => {
        if (readKey !== KEYS.state) return get(readKey, readOptions);
        store.get = get;
        throw new StorageUnavailableError('503 SlowDown', { operation: 'get', key: readKey });
      };
    }
    throw new OutcomeUnknownError({ operation: 'put', key });
  };
}

describe('recovery when the reset write has an unknown outcome', () => {
  it('reports OUTCOME_UNKNOWN, never a reset, when the re-read that would settle the PUT fails too', async () => {
    const store = new MemoryStore();
    await electionOn(store, 'gcs-a').election.runCycle();
    loseNextStatePut(store, { rereadFails: true });
    const reelection = await forceReelection(store).catch((caught: unknown) => caught);
    expect(reelection).toBeInstanceOf(RecoveryError);
    expect(reelection).toMatchObject({ code: 'OUTCOME_UNKNOWN', message: expect.stringMatching(/run the reset again/) as unknown });
    expect((await storedRecord(store)).leader).toBe('gcs-a');

    await store.put(KEYS.state, 'garbage');
    loseNextStatePut(store, { rereadFails: true });
    await expect(clearCorruptedState(store)).rejects.toMatchObject({ code: 'OUTCOME_UNKNOWN' });
    expect(new TextDecoder().decode((await store.get(KEYS.state))?.body)).toBe('garbage');
    // Running it again, as the error says, finishes the job.
    expect((await clearCorruptedState(store)).outcome).toBe('reset');
  });

  it('reports a CONFLICT when the re-read shows other bytes than its own (the leader renewed meanwhile)', async () => {
    const store = new MemoryStore();
    const a = electionOn(store, 'gcs-a');
    await a.election.runCycle();
    loseNextStatePut(store, {
      meanwhile: async () => {
        a.clock.monotonic += 1000;
        return a.election.runCycle();
      },
    });
    const error = await forceReelection(store).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RecoveryError);
    expect(error).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/was not applied/) as unknown });
    expect(await storedRecord(store)).toMatchObject({ leader: 'gcs-a', epoch: 1, renewals: 2 });
    a.clock.monotonic += 1000;
    expect((await a.election.runCycle()).kind).toBe('renewed');

    // Another operator's hand edit lands while the clear's PUT is lost: their bytes stay.
    await store.put(KEYS.state, 'garbage');
    loseNextStatePut(store, { meanwhile: () => store.put(KEYS.state, 'other garbage') });
    await expect(clearCorruptedState(store)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(new TextDecoder().decode((await store.get(KEYS.state))?.body)).toBe('other garbage');
  });

  it('refuses an invalid operator name before writing anything', async () => {
    const store = new MemoryStore();
    await electionOn(store, 'gcs-a').election.runCycle();
    await store.put(KEYS.worker('gcs-broken'), '{');
    const state = (await store.get(KEYS.state))?.etag;
    const ledger = (await store.get(KEYS.epochLedger))?.etag;
    for (const operator of ['', 'alice bob', 'alice/../x', 'a'.repeat(65), 'ünïcode']) {
      await expect(forceReelection(store, { operator }), JSON.stringify(operator)).rejects.toThrow(/Invalid operator name/);
    }
    expect((await store.get(KEYS.state))?.etag).toBe(state);
    await store.put(KEYS.state, 'garbage');
    const garbage = (await store.get(KEYS.state))?.etag;
    await expect(clearCorruptedState(store, { operator: 'alice bob' })).rejects.toThrow(TypeError);
    expect((await store.get(KEYS.state))?.etag).toBe(garbage);
    expect((await store.get(KEYS.epochLedger))?.etag).toBe(ledger);
    // Not even the unreadable registration is removed: the name is judged before any request.
    expect(await store.get(KEYS.worker('gcs-broken'))).not.toBeUndefined();
    // The longest name allowed, with every allowed character class, is accepted.
    const operator = `${'a'.repeat(58)}Z9._@-`;
    expect((await clearCorruptedState(store, { operator })).written?.holder).toMatch(new RegExp(`^reset:${operator.replaceAll('.', '\\.')}-[0-9a-f]{8}$`));
  });
});

describe('forceReelection (two live hubs, real timers)', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
  });

  it('never lets two coordinators lead at once, and the next term has a higher epoch', async () => {
    const store = new MemoryStore();
    const options = { globalCoordinator: { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 } };
    for (let index = 0; index < 2; index += 1) hubs.push(await connect(store, options));
    const coordinators = await Promise.all(hubs.map((hub) => hub.getGlobalCoordinator('default')));
    await waitUntil(() => coordinators.some((coordinator) => coordinator.isLeader));
    const oldLeader = coordinators.find((coordinator) => coordinator.isLeader);
    const oldEpoch = oldLeader?.getEpoch() ?? 0;

    let overlaps = 0;
    const check = (): void => {
      if (coordinators.filter((coordinator) => coordinator.isLeader).length > 1) overlaps += 1;
    };
    const sampler = setInterval(check, 1);
    const acquisitions: { epoch: number; at: number }[] = [];
    for (const coordinator of coordinators) {
      coordinator.on('leadership:acquired', ({ epoch }) => {
        check();
        acquisitions.push({ epoch, at: performance.now() });
      });
      coordinator.on('leadership:lost', check);
    }
    try {
      const resetAt = performance.now();
      const result = await forceReelection(hubs[0]?.client ?? store, { leaseTimeout: 300 });
      expect(result.written?.epoch).toBe(oldEpoch + 1);
      await waitUntil(() => acquisitions.length > 0, 5000);
      const next = acquisitions[0] as { epoch: number; at: number };
      expect(next.epoch).toBe(oldEpoch + 2);
      // Nobody claims before watching the reset record for a full lease.
      expect(next.at - resetAt).toBeGreaterThanOrEqual(300);
    } finally {
      clearInterval(sampler);
    }
    expect(overlaps).toBe(0);
  });
});
