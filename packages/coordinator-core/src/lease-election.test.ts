import { MemoryStore, OutcomeUnknownError, bytesToText, type ObjectBody, type ObjectStore, type PutOptions } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { resolveCoordinatorConfig, type GlobalCoordinatorOptions } from './config';
import { systemEnvironment, type Clock } from '@baton/plugin';
import { LeaseElection, MAX_EPOCH_JUMP } from './lease-election';
import { MAX_EPOCH } from './epoch-ledger';
import { parseLeaseRecord } from './lease-record';

const KEY = 'plg_coordinator_global/default/state.json';
const LEDGER_KEY = 'plg_coordinator_global/default/epoch.json';

/** A clock moved by hand; each worker gets its own, with its own wall-clock skew. */
class ManualClock implements Clock {
  constructor(
    public monotonic = 0,
    readonly skewMs = 0,
  ) {}
  monotonicNow(): number {
    return this.monotonic;
  }
  wallNow(): number {
    return 1_800_000_000_000 + this.monotonic + this.skewMs;
  }
  advance(milliseconds: number): void {
    this.monotonic += milliseconds;
  }
}

function worker(store: ObjectStore, workerId: string, options: GlobalCoordinatorOptions = {}, skewMs = 0) {
  const clock = new ManualClock(0, skewMs);
  const config = resolveCoordinatorConfig({ heartbeatInterval: 1000, leaseTimeout: 3000, workerTimeout: 4000, ...options });
  const election = new LeaseElection({ store, key: KEY, ledgerKey: LEDGER_KEY, namespace: 'default', workerId, config, clock, timers: systemEnvironment.timers });
  return { election, clock };
}

async function storedRecord(store: ObjectStore) {
  const stored = await store.get(KEY);
  if (stored === undefined) throw new Error('no lease record');
  const parsed = parseLeaseRecord(stored.body);
  if (!parsed.valid) throw new Error(parsed.reason);
  return { ...parsed.record, etag: stored.etag };
}

describe('LeaseElection', () => {
  it('elects the first worker with epoch 1; the next one follows', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    const b = worker(store, 'b');
    expect(await a.election.runCycle()).toEqual({ kind: 'acquired', epoch: 1, previousLeader: null });
    expect(await b.election.runCycle()).toEqual({ kind: 'following', leader: 'a', epoch: 1 });
    expect(a.election.isLeader).toBe(true);
    expect(b.election.isLeader).toBe(false);
    expect(b.election.leader).toBe('a');
  });

  it('takes over only after seeing the same record for leaseTimeout on its own clock', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    const b = worker(store, 'b');
    await a.election.runCycle();
    await b.election.runCycle(); // first sighting at b's t=0
    b.clock.advance(2999);
    expect((await b.election.runCycle()).kind).toBe('following');
    b.clock.advance(1);
    expect(await b.election.runCycle()).toEqual({ kind: 'acquired', epoch: 2, previousLeader: 'a' });
    expect((await storedRecord(store)).leader).toBe('b');
  });

  it('restarts the wait whenever the record changes (the leader renewed)', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    const b = worker(store, 'b');
    await a.election.runCycle();
    await b.election.runCycle();
    for (let beat = 0; beat < 10; beat += 1) {
      a.clock.advance(1000);
      b.clock.advance(1000);
      expect((await a.election.runCycle()).kind).toBe('renewed');
      expect((await b.election.runCycle()).kind).toBe('following');
    }
  });

  it('changes the bytes (and ETag) on every renewal', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    await a.election.runCycle();
    const etags = new Set([(await storedRecord(store)).etag]);
    for (let beat = 0; beat < 5; beat += 1) {
      a.clock.advance(1000);
      await a.election.runCycle();
      etags.add((await storedRecord(store)).etag);
    }
    expect(etags.size).toBe(6);
  });

  it('stops being leader at its renew deadline, measured from the start of its last renewal', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    await a.election.runCycle();
    expect(a.election.renewDeadlineAt).toBe(2000);
    a.clock.advance(1999);
    expect(a.election.isLeader).toBe(true);
    a.clock.advance(1);
    expect(a.election.isLeader).toBe(false);
    expect(a.election.leader).toBeNull();
  });

  it('also steps down when its own wall clock says the deadline passed (a suspended host)', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    await a.election.runCycle();
    // The host slept: the monotonic clock stood still, the wall clock moved on.
    const suspended = Object.assign(a.clock, { wallNow: () => 1_800_000_000_000 + 60_000 });
    expect(suspended.monotonicNow()).toBe(0);
    expect(a.election.isLeader).toBe(false);
  });

  it('ignores wall clocks entirely: followers an hour ahead or behind wait the same', async () => {
    for (const skewMs of [3_600_000, -3_600_000]) {
      const store = new MemoryStore();
      const a = worker(store, 'a', {}, -skewMs);
      const b = worker(store, 'b', {}, skewMs);
      await a.election.runCycle();
      await b.election.runCycle();
      b.clock.advance(2999);
      expect((await b.election.runCycle()).kind).toBe('following');
      b.clock.advance(1);
      expect((await b.election.runCycle()).kind).toBe('acquired');
    }
  });

  it('hands over at once after a release, with the next epoch', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    const b = worker(store, 'b');
    await a.election.runCycle();
    await b.election.runCycle();
    expect(await a.election.release()).toBe(true);
    expect(a.election.isLeader).toBe(false);
    expect((await storedRecord(store)).leader).toBeNull();
    expect(await b.election.runCycle()).toEqual({ kind: 'acquired', epoch: 2, previousLeader: 'a' });
  });

  it('honours a holder configured with a longer lease', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a', { leaseTimeout: 9000, workerTimeout: 9000 });
    const b = worker(store, 'b');
    await a.election.runCycle();
    await b.election.runCycle();
    b.clock.advance(8999);
    expect((await b.election.runCycle()).kind).toBe('following');
    b.clock.advance(1);
    expect((await b.election.runCycle()).kind).toBe('acquired');
  });

  it('recovers from garbage in state.json after the same wait, by CAS, with a higher epoch', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    await a.election.runCycle();
    await a.election.release();
    await store.put(KEY, '{"format":"baton.lease/v1","leader":'); // truncated
    const b = worker(store, 'b');
    expect((await b.election.runCycle()).kind).toBe('invalid-record');
    b.clock.advance(3000);
    // The epoch ledger shows a term (a's, epoch 1) that b never saw in state.json: b cannot tell
    // whether it is acting on a record rewritten with the same bytes, so it waits a full lease more.
    expect((await b.election.runCycle()).kind).toBe('invalid-record');
    b.clock.advance(3000);
    const report = await b.election.runCycle();
    expect(report.kind).toBe('acquired');
    await store.put(KEY, JSON.stringify({ format: 'baton.lease/v1', epoch: 'seven' }));
    a.clock.advance(10_000);
    expect((await a.election.runCycle()).kind).toBe('invalid-record');
    a.clock.advance(3000);
    // a never saw b's term (epoch 2) in state.json, but the epoch ledger did: a watches afresh for
    // a full lease, then takes epoch 3 — before the ledger, a took 2 here, reusing b's epoch.
    expect((await a.election.runCycle()).kind).toBe('invalid-record');
    a.clock.advance(3000);
    expect(await a.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 3 });
  });

  it('waits a lease timeout when a record it saw disappears (deleted by hand)', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    const b = worker(store, 'b');
    await a.election.runCycle();
    await b.election.runCycle();
    await store.delete(KEY);
    expect((await b.election.runCycle()).kind).toBe('following');
    b.clock.advance(3000);
    expect(await b.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 2 });
  });

  it('never counts a refused write as a win: of two racing creators exactly one leads', async () => {
    for (let round = 0; round < 20; round += 1) {
      const store = new MemoryStore();
      const c = worker(store, 'c');
      const d = worker(store, 'd');
      const reports = await Promise.all([c.election.runCycle(), d.election.runCycle()]);
      expect(reports.map((report) => report.kind).sort()).toEqual(['acquired', 'claim-lost']);
      expect([c.election.isLeader, d.election.isLeader].filter(Boolean)).toHaveLength(1);
    }
  });

  it('takes the epoch floor into account when the record (and its epoch) is gone', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const config = resolveCoordinatorConfig({ heartbeatInterval: 1000, leaseTimeout: 3000, workerTimeout: 4000 });
    const election = new LeaseElection({
      store,
      key: KEY,
      ledgerKey: LEDGER_KEY,
      namespace: 'default',
      workerId: 'e',
      config,
      clock,
      timers: systemEnvironment.timers,
      epochFloor: () => Promise.resolve(41),
    });
    // Registrations show the namespace has had terms: the missing record was deleted, and its
    // holder may still act, so it is waited out before a new term (never reusing an epoch).
    expect(await election.runCycle()).toMatchObject({ kind: 'following', leader: null });
    clock.advance(3000);
    expect(await election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 42 });
  });

  it('settles an unknown outcome by re-reading: applied means won, not applied means lost', async () => {
    const applied = new LossyStore(new MemoryStore(), 'apply-then-fail');
    const a = worker(applied, 'a');
    expect(await a.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 1 });
    expect(a.election.isLeader).toBe(true);

    const lost = new LossyStore(new MemoryStore(), 'fail-without-applying');
    const b = worker(lost, 'b');
    expect((await b.election.runCycle()).kind).toBe('claim-lost');
    expect(b.election.isLeader).toBe(false);
  });

  it('keeps leading until its deadline when a renewal outcome is unknown and not applied', async () => {
    const inner = new MemoryStore();
    const store = new LossyStore(inner, 'pass');
    const a = worker(store, 'a');
    await a.election.runCycle();
    store.mode = 'fail-without-applying';
    a.clock.advance(1000);
    expect((await a.election.runCycle()).kind).toBe('renew-failed');
    expect(a.election.isLeader).toBe(true);
    store.mode = 'pass';
    a.clock.advance(500);
    expect((await a.election.runCycle()).kind).toBe('renewed');
    expect(a.election.renewDeadlineAt).toBe(3500);
  });

  it('ends the term when a renewal lands only after the renew deadline, and starts a new epoch', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    await a.election.runCycle();
    a.clock.advance(1500);
    const put = store.put.bind(store);
    store.put = async (key, body, options) => {
      const result = await put(key, body, options);
      a.clock.advance(1000); // the reply arrives after the deadline (2000)
      return result;
    };
    expect(await a.election.runCycle()).toMatchObject({ kind: 'lost', epoch: 1 });
    expect(a.election.isLeader).toBe(false);
    store.put = put;
    expect(await a.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 2 });
  });

  it('loses the term when another worker changed the record', async () => {
    const store = new MemoryStore();
    const a = worker(store, 'a');
    await a.election.runCycle();
    const current = await storedRecord(store);
    await store.put(KEY, JSON.stringify({ ...current, leader: 'intruder', epoch: 7 }), { ifMatch: current.etag });
    a.clock.advance(1000);
    expect((await a.election.runCycle()).kind).toBe('lost');
    expect(a.election.isLeader).toBe(false);
    a.clock.advance(10);
    await a.election.runCycle();
    expect(a.election.leader).toBe('intruder');
    expect(a.election.epoch).toBe(7);
  });

  it('never reuses an epoch after a graceful fleet stop and a deleted state.json (the epoch ledger)', async () => {
    const store = new MemoryStore();
    for (const [index, id] of ['a', 'b', 'c'].entries()) {
      const term = worker(store, id);
      expect(await term.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: index + 1 });
      await term.election.release();
    }
    await store.delete(KEY); // every worker stopped (no registrations left), then state.json is lost
    const fresh = worker(store, 'd');
    expect(await fresh.election.runCycle()).toMatchObject({ kind: 'following', leader: null });
    fresh.clock.advance(3000);
    expect(await fresh.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 4 });
  });

  it("never gives a second leader when state.json is deleted under a live leader (the guide's recovery), even to a newcomer", async () => {
    const store = new MemoryStore();
    const leader = worker(store, 'a', { leaseTimeout: 6000, workerTimeout: 8000 });
    expect((await leader.election.runCycle()).kind).toBe('acquired');
    await store.delete(KEY);
    // b never saw a record and runs a shorter lease: it still waits out a's longer one.
    const newcomer = worker(store, 'b');
    expect((await newcomer.election.runCycle()).kind).toBe('following');
    newcomer.clock.advance(3000);
    expect((await newcomer.election.runCycle()).kind).toBe('following');
    expect(leader.election.isLeader).toBe(true);
    newcomer.clock.advance(3000);
    expect(await newcomer.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 2 });
  });

  it('earns no shortcut from a backup written back: a released record older than a term it saw is waited out', async () => {
    const store = new MemoryStore();
    const first = worker(store, 'a');
    const second = worker(store, 'b');
    const follower = worker(store, 'c', { leaseTimeout: 4000, workerTimeout: 5000 });
    expect(await first.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 1 });
    await first.election.release();
    const backup = await store.get(KEY); // an operator's backup: released, epoch 1
    expect(await second.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 2 });
    expect(await follower.election.runCycle()).toMatchObject({ kind: 'following', leader: 'b', epoch: 2 });
    await store.put(KEY, backup?.body ?? ''); // ...restored while b leads
    // "Released" would be a shortcut, but the record is older than a term c saw: b may still act.
    expect((await follower.election.runCycle()).kind).toBe('following');
    expect(second.election.isLeader).toBe(true);
    follower.clock.advance(3999);
    expect((await follower.election.runCycle()).kind).toBe('following');
    follower.clock.advance(1);
    expect(await follower.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 3 });
  });

  it('waits out an unreadable record for at least the longest lease any holder ran with, even as a newcomer with a shorter lease', async () => {
    const store = new MemoryStore();
    const leader = worker(store, 'a', { leaseTimeout: 6000, workerTimeout: 8000 });
    expect((await leader.election.runCycle()).kind).toBe('acquired');
    await store.put(KEY, 'garbage'); // corrupted while a leads; its renewals now fail, it stops at its deadline
    const newcomer = worker(store, 'b'); // leaseTimeout 3000, never saw a's record
    expect((await newcomer.election.runCycle()).kind).toBe('invalid-record');
    newcomer.clock.advance(3000);
    expect((await newcomer.election.runCycle()).kind).toBe('invalid-record');
    newcomer.clock.advance(2999); // a's lease is 6000: it may act until its own deadline
    expect((await newcomer.election.runCycle()).kind).toBe('invalid-record');
    newcomer.clock.advance(3001); // the ledger showed a's term: the wait began again when b read it
    expect(await newcomer.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 2 });
  });

  it('never takes over at once when identical bytes were written twice around a term it never read (ABA)', async () => {
    const store = new MemoryStore();
    await store.put(KEY, 'garbage');
    const follower = worker(store, 'f');
    const leader = worker(store, 'a');
    expect((await follower.election.runCycle()).kind).toBe('invalid-record'); // f starts watching the garbage
    expect((await leader.election.runCycle()).kind).toBe('invalid-record');
    leader.clock.advance(3000);
    expect(await leader.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 1 }); // f never reads this term
    await store.put(KEY, 'garbage'); // the same bytes again: the same ETag f first saw
    follower.clock.advance(3000);
    // Unchanged ETag for a full lease, but the ledger shows a term f never saw: f starts its wait again.
    expect((await follower.election.runCycle()).kind).toBe('invalid-record');
    expect(leader.election.isLeader).toBe(true);
    follower.clock.advance(3000);
    expect(await follower.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 2 });
  });

  it('a claim that lost after reserving its epoch marks the reservation unclaimed: the next takeover waits once, not twice', async () => {
    const store = new MemoryStore();
    let beforeClaim: (() => Promise<unknown>) | undefined;
    const racing: ObjectStore = {
      capabilities: store.capabilities,
      description: store.description,
      get: (key, options) => store.get(key, options),
      list: (options) => store.list(options),
      delete: (key, options) => store.delete(key, options),
      async put(key: string, body: ObjectBody, options?: PutOptions) {
        if (key === KEY && beforeClaim !== undefined) {
          const hook = beforeClaim;
          beforeClaim = undefined;
          await hook();
        }
        return store.put(key, body, options);
      },
    };
    const leader = worker(store, 'a');
    const loser = worker(racing, 'b');
    const follower = worker(store, 'c');
    expect(await leader.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 1 });
    expect((await loser.election.runCycle()).kind).toBe('following');
    // b's wait ends as a's (late) renewal lands: b reserves epoch 2, then its claim is refused.
    loser.clock.advance(3000);
    beforeClaim = () => leader.election.runCycle();
    expect((await loser.election.runCycle()).kind).toBe('claim-lost');
    const ledger = JSON.parse(bytesToText((await store.get(LEDGER_KEY))?.body ?? new Uint8Array())) as { highestEpoch: number; unclaimedAbove?: number };
    expect(ledger).toMatchObject({ highestEpoch: 2, unclaimedAbove: 1 });
    // Then a crashes. c, which knows epoch 1, takes over one lease after a's last version, not two.
    expect((await follower.election.runCycle()).kind).toBe('following');
    follower.clock.advance(3000);
    expect(await follower.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 3 });
  });

  it('moves a live term above an epoch it is asked to pass, once per term, and refuses epochs a data record cannot be trusted with', async () => {
    const store = new MemoryStore();
    const leader = worker(store, 'a');
    const follower = worker(store, 'b');
    expect(leader.election.requestEpochAbove(5)).toBe(false); // no live term
    expect(await leader.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 1 });
    // Garbage must not exhaust the domain: outside it, too far above the term, or without headroom.
    for (const epoch of [Number.MAX_SAFE_INTEGER, -3, 1.5, 1, 2 + MAX_EPOCH_JUMP, MAX_EPOCH - 1]) expect(leader.election.requestEpochAbove(epoch), String(epoch)).toBe(false);
    expect(await leader.election.runCycle()).toMatchObject({ kind: 'renewed', epoch: 1 });
    expect(leader.election.requestEpochAbove(7)).toBe(true);
    expect(leader.election.requestEpochAbove(9)).toBe(false); // one move per term
    expect(await leader.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 8 });
    expect(leader.election.isLeader).toBe(true);
    expect((await storedRecord(store)).epoch).toBe(8);
    expect(await follower.election.runCycle()).toMatchObject({ kind: 'following', leader: 'a', epoch: 8 });
    expect(await leader.election.runCycle()).toMatchObject({ kind: 'renewed', epoch: 8 }); // asked once, moved once
    expect(leader.election.requestEpochAbove(1 + MAX_EPOCH_JUMP)).toBe(true); // the next term may move again, within the bound
    expect(await leader.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 2 + MAX_EPOCH_JUMP });
  });

  it('treats an epoch outside 0..2^40 as a corrupt record, and never hands out such an epoch', async () => {
    const store = new MemoryStore();
    const first = worker(store, 'a');
    await first.election.runCycle();
    const { etag: _etag, ...stored } = await storedRecord(store);
    await store.put(KEY, JSON.stringify({ ...stored, leader: 'x', epoch: Number.MAX_SAFE_INTEGER }));
    const follower = worker(store, 'b');
    expect((await follower.election.runCycle()).kind).toBe('invalid-record');
    follower.clock.advance(3000);
    expect((await follower.election.runCycle()).kind).toBe('invalid-record'); // a's term is in the ledger
    follower.clock.advance(3000);
    expect(await follower.election.runCycle()).toMatchObject({ kind: 'acquired', epoch: 2 });
  });
});

/** Conditional writes fail with "outcome unknown", after applying them or not. */
class LossyStore extends MemoryStore {
  constructor(
    readonly inner: MemoryStore,
    public mode: 'apply-then-fail' | 'fail-without-applying' | 'pass',
  ) {
    super();
  }
  override get: MemoryStore['get'] = (key, options) => this.inner.get(key, options);
  override async put(key: string, body: ObjectBody, options: PutOptions = {}) {
    const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
    if (!conditional || this.mode === 'pass') return this.inner.put(key, body, options);
    if (this.mode === 'apply-then-fail') await this.inner.put(key, body, options);
    throw new OutcomeUnknownError({ operation: 'put', key, cause: new Error(`simulated: ${typeof body === 'string' ? body.length : bytesToText(body).length} bytes`) });
  }
}
