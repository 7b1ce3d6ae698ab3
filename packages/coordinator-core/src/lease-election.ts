import { writeConditionally, type ConditionalWriteOutcome, type ObjectStore, type StoredObject, type WriteCondition } from '@baton/storage';
import type { CoordinatorConfig } from './config';
import type { Clock, Timers } from '@baton/plugin';
import {
  isEpochInDomain,
  ledgerEpoch,
  ledgerLongestLease,
  ledgerShowsUnseenTerm,
  markReservationUnclaimed,
  MAX_EPOCH,
  readEpochLedger,
  reserveEpoch,
  type EpochLedgerState,
  type ReservedEpoch,
} from './epoch-ledger';
import { encodeLeaseRecord, LEASE_RECORD_FORMAT, parseLeaseRecord, type HeldFor, type LeaseRecord, type ParsedLeaseRecord } from './lease-record';

/**
 * The lease algorithm, in one place. One instance per worker and namespace; the coordinator
 * calls {@link LeaseElection.runCycle} on every heartbeat and acts on what it reports.
 *
 * Rules that make two leaders impossible:
 *
 * 1. The record changes only by conditional writes: create-if-absent, or compare-and-swap on the
 *    ETag this worker read. A refused write (412) is a loss; an unknown outcome is settled by
 *    re-reading, never assumed.
 * 2. A follower takes over only after it has seen the *same* record (same ETag) for
 *    `leaseTimeout`, measured on its own monotonic clock from the moment its read returned. A
 *    read that returns a version cannot return before that version was written, so this wait
 *    starts no earlier than the holder's last renewal began.
 * 3. The holder considers itself leader only until (start of its last successful renewal) +
 *    `renewDeadline`, which is shorter than `leaseTimeout`. No wall clocks, no clock comparison
 *    between hosts: only the *rates* of the two monotonic clocks matter, and the margin
 *    (`leaseTimeout - renewDeadline`) absorbs any realistic drift.
 * 4. Every new term has epoch = highest epoch ever seen + 1, and every write changes the bytes.
 *    The epoch is first *reserved* in the namespace's epoch ledger (`epoch.json`) by
 *    compare-and-swap, so no two terms ever get one epoch, whatever happens to `state.json`.
 * 5. A follower that cannot prove it saw every change waits a full lease: a record it never saw
 *    (missing, in a namespace with history) or cannot read is waited out for the longest lease
 *    ever seen in the namespace; a ledger epoch above every epoch it saw in `state.json`
 *    means a term it never saw was reserved — it may be acting on a record rewritten with
 *    identical bytes (same ETag) — so the wait starts again from that moment (unless the
 *    reserver marked that epoch unclaimed: its claim failed, so no term above the one before it
 *    acted); and a record older than a term it saw (a backup written back) earns no shortcut,
 *    whatever it says.
 * 6. A plugin's lease held by a namespace's global leader (`heldFor`) is claimed only during a
 *    global term, and ends with it: the next global leader of that namespace, whose term began
 *    after the old one ended, may take it over at once (rule 2 protects everyone else).
 */
export class LeaseElection {
  readonly #store: ObjectStore;
  readonly #key: string;
  readonly #namespace: string;
  readonly #workerId: string;
  readonly #config: CoordinatorConfig;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #epochFloor: (() => Promise<number>) | undefined;
  readonly #ledgerKey: string;
  readonly #heldFor: (() => HeldFor | undefined) | undefined;

  /** The version of the record last seen, and when (monotonic) it was first seen. */
  #observation: Observation | undefined;
  /** The term this worker holds, if any. */
  #term: Term | undefined;
  #highestEpochSeen = 0;
  /** The epoch of the last term this worker held (0: none). */
  #lastTermEpoch = 0;
  /** The longest lease of any holder seen (records, ledger): the wait for a record that cannot be read. */
  #longestLeaseSeen = 0;
  /** An epoch the holder must move its term above (see {@link requestEpochAbove}); 0: none. */
  #epochToPass = 0;

  constructor(options: LeaseElectionOptions) {
    this.#store = options.store;
    this.#key = options.key;
    this.#namespace = options.namespace;
    this.#workerId = options.workerId;
    this.#config = options.config;
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#epochFloor = options.epochFloor;
    this.#ledgerKey = options.ledgerKey;
    this.#heldFor = options.heldFor;
  }

  /** Whether this worker holds the lease now: it has a term and its renew deadline has not passed. */
  get isLeader(): boolean {
    return this.#term !== undefined && this.#withinDeadline(this.#term);
  }

  /** The held term's epoch, or the highest epoch seen. */
  get epoch(): number {
    return this.#term?.epoch ?? this.#highestEpochSeen;
  }

  /** The leader as last seen (this worker while it leads), or `null`. */
  get leader(): string | null {
    if (this.isLeader) return this.#workerId;
    const parsed = this.#observation?.parsed;
    const recorded = parsed?.valid === true ? parsed.record.leader : null;
    // Our own record after our deadline passed: nobody is acting as leader.
    return recorded === this.#workerId ? null : recorded;
  }

  /** Monotonic time at which this worker stops being leader unless it renews; `undefined` when not leading. */
  get renewDeadlineAt(): number | undefined {
    return this.#term?.renewDeadlineAt;
  }

  /**
   * When a follower could next take the lease over (monotonic), if the record it watches does not
   * change: lets the coordinator check at exactly that moment instead of the next heartbeat.
   */
  get takeoverPossibleAt(): number | undefined {
    if (this.#term !== undefined || this.#observation === undefined) return undefined;
    return this.#observation.firstSeenAt + this.#waitBeforeTakeover(this.#observation);
  }

  /** The record as last seen, when it was valid. */
  get lastRecord(): LeaseRecord | undefined {
    const parsed = this.#observation?.parsed;
    return parsed?.valid === true ? parsed.record : undefined;
  }

  /**
   * One heartbeat: the leader renews; a follower reads the record and takes it over if it was
   * released, is missing, or has not changed for `leaseTimeout`.
   */
  async runCycle(signal?: AbortSignal): Promise<CycleReport> {
    if (this.#term !== undefined) {
      const term = this.#term;
      if (this.#withinDeadline(term) && this.#epochToPass >= term.epoch) {
        // Leader work met a record of a higher epoch than this live term (epochs reset or reused
        // elsewhere): the term ends, and the record is claimed anew above that epoch by
        // compare-and-swap on our own version, which also proves nobody else took it meanwhile.
        this.#term = undefined;
        return this.#claim(term.record, { ifMatch: term.etag }, signal, { shortcut: true });
      }
      if (this.#withinDeadline(term)) return this.#renew(term, signal);
      // The deadline passed without a renewal: this worker already stopped leading. Whether it
      // can lead again is decided like any follower's claim (its own record may be re-taken at once).
      this.#term = undefined;
    }
    return this.#observeAndClaim(signal);
  }

  /**
   * Stops leading at once without writing anything (a plugin's lease whose global term ended):
   * followers wait the lease out, or take it over at once where rule 6 allows.
   */
  abandon(): void {
    this.#term = undefined;
  }

  /**
   * Asks the holder to move to a term above `epoch` at its next cycle: leader work met a record
   * written under a higher epoch than the live term's (the namespace was reset, or epochs of
   * another mode met this one), and its fence would refuse every run until the term passes it.
   *
   * The epoch comes from a data record, so garbage must not exhaust the domain: a request is
   * accepted only from a live term, once per term, and only for an epoch at most
   * {@link MAX_EPOCH_JUMP} above the term's, with as much headroom left below {@link MAX_EPOCH}.
   * Returns whether it was accepted (a refused one changes nothing and writes nothing).
   */
  requestEpochAbove(epoch: number): boolean {
    const term = this.#term;
    if (term === undefined || !this.#withinDeadline(term) || !isEpochInDomain(epoch) || epoch <= term.epoch) return false;
    if (this.#epochToPass >= term.epoch) return false; // a move is pending already: one per term
    if (epoch - term.epoch > MAX_EPOCH_JUMP || epoch > MAX_EPOCH - MAX_EPOCH_JUMP) return false;
    this.#epochToPass = epoch;
    return true;
  }

  /**
   * Gives the lease up: stops leading at once, then marks the record released by
   * compare-and-swap so a follower takes over at its next heartbeat instead of waiting for
   * expiry. A refused or failed release is harmless: followers then wait for expiry.
   */
  async release(signal?: AbortSignal): Promise<boolean> {
    const term = this.#term;
    this.#term = undefined;
    if (term === undefined || !this.#withinDeadline(term)) return false;
    const released: LeaseRecord = {
      ...term.record,
      leader: null,
      previousLeader: this.#workerId,
      renewals: term.record.renewals + 1,
      renewedAt: this.#clock.wallNow(),
    };
    try {
      const { etag } = await this.#store.put(this.#key, encodeLeaseRecord(released), { ifMatch: term.etag, signal });
      this.#observe(etag, { valid: true, record: released }, this.#clock.monotonicNow());
      return true;
    } catch {
      return false;
    }
  }

  async #renew(term: Term, signal: AbortSignal | undefined): Promise<CycleReport> {
    const startedAt = this.#clock.monotonicNow();
    const startedWallAt = this.#clock.wallNow();
    const renewed: LeaseRecord = { ...term.record, renewals: term.record.renewals + 1, renewedAt: this.#clock.wallNow() };
    const outcome = await this.#conditionalWrite(renewed, { ifMatch: term.etag }, signal);
    if (outcome.kind === 'written') {
      this.#observe(outcome.etag, { valid: true, record: renewed }, this.#clock.monotonicNow());
      if (!this.#withinDeadline(term)) {
        // The renewal landed, but only after this worker had already stopped leading at the old
        // deadline. Resuming the same term would reuse its epoch for a second stretch of
        // leadership; instead the term ends, and the next cycle claims the record anew.
        this.#term = undefined;
        return { kind: 'lost', epoch: term.epoch, reason: 'the renewal completed after the renew deadline' };
      }
      this.#term = { ...term, etag: outcome.etag, record: renewed, ...this.#deadlineFrom(startedAt, startedWallAt) };
      return { kind: 'renewed', epoch: term.epoch };
    }
    if (outcome.kind === 'refused' || (outcome.readable && outcome.current?.etag !== term.etag)) {
      // Someone else changed the record: this term is over.
      this.#term = undefined;
      this.#observation = undefined;
      return { kind: 'lost', epoch: term.epoch, reason: 'the lease record was changed by another worker' };
    }
    // Not applied, or unknown and unreadable: still leader until the deadline; retry soon.
    return { kind: 'renew-failed', epoch: term.epoch, error: outcome.error };
  }

  async #observeAndClaim(signal: AbortSignal | undefined): Promise<CycleReport> {
    let current: StoredObject | undefined;
    try {
      current = await this.#store.get(this.#key, { signal });
    } catch (error) {
      return { kind: 'read-failed', error };
    }
    const readAt = this.#clock.monotonicNow();

    if (current === undefined) {
      const firstLook = this.#observation === undefined;
      this.#observe(MISSING, { valid: false, reason: 'the lease record does not exist' }, readAt);
      if (firstLook) {
        // Only the very first start of a namespace may create the record at once. Anywhere else
        // a missing record was deleted (by hand, as the guide's recovery does) and its holder may
        // act until its next renewal fails: it is waited out like any version.
        let ledger: EpochLedgerState;
        let mayCreateAtOnce: boolean;
        try {
          ledger = await readEpochLedger(this.#store, this.#ledgerKey, signal);
          mayCreateAtOnce =
            (ledger.kind === 'missing' && (await this.#readEpochFloor()) === 0) ||
            // The last term reserved was this worker's own, which it has stopped: nobody else can be
            // acting (any later term would have reserved a higher epoch), so it may lead again at once.
            (ledger.kind === 'valid' && ledger.record.reservedBy === this.#workerId && ledger.record.highestEpoch === this.#lastTermEpoch);
        } catch (error) {
          return { kind: 'read-failed', error };
        }
        if (mayCreateAtOnce) return this.#claim(undefined, { ifNoneMatch: '*' }, signal, { shortcut: true, ledger });
        // Read as the wait begins: the terms it shows are known, and the longest lease is waited.
        this.#highestEpochSeen = Math.max(this.#highestEpochSeen, ledgerEpoch(ledger));
        this.#longestLeaseSeen = Math.max(this.#longestLeaseSeen, ledgerLongestLease(ledger));
      }
      return this.#claimIfWaitedOut(undefined, { ifNoneMatch: '*' }, readAt, signal);
    }

    const parsed = parseLeaseRecord(current.body);
    this.#observe(current.etag, parsed, readAt);
    const observation = this.#observation as Observation;
    const previous = parsed.valid ? parsed.record : undefined;
    const shortcut =
      !observation.continuityUnproven &&
      (previous?.leader === null || // released by its holder, who stopped first
        previous?.leader === this.#workerId || // our own lapsed term: we stopped at its deadline
        this.#heldUnderEndedTerm(previous)); // rule 6
    if (shortcut) return this.#claim(previous, { ifMatch: current.etag }, signal, { shortcut: true });
    return this.#claimIfWaitedOut(previous, { ifMatch: current.etag }, readAt, signal);
  }

  /** Whether `record` was held for an earlier global term of the namespace this worker now leads. */
  #heldUnderEndedTerm(record: LeaseRecord | undefined): boolean {
    const own = this.#heldFor?.();
    return record?.heldFor !== undefined && own !== undefined && record.heldFor.namespace === own.namespace && record.heldFor.epoch < own.epoch;
  }

  /** Claims the record observed at `readAt` if it has stayed unchanged for the wait it needs. */
  async #claimIfWaitedOut(previous: LeaseRecord | undefined, condition: WriteCondition, readAt: number, signal: AbortSignal | undefined): Promise<CycleReport> {
    const observation = this.#observation as Observation;
    if (readAt - observation.firstSeenAt < this.#waitBeforeTakeover(observation)) return this.#notClaiming();
    return this.#claim(previous, condition, signal, { shortcut: false });
  }

  #notClaiming(): CycleReport {
    const parsed = (this.#observation as Observation).parsed;
    if (parsed.valid) return { kind: 'following', leader: parsed.record.leader, epoch: parsed.record.epoch };
    if (this.#observation?.etag === MISSING) return { kind: 'following', leader: null, epoch: this.#highestEpochSeen };
    return { kind: 'invalid-record', reason: parsed.reason };
  }

  async #claim(
    previous: LeaseRecord | undefined,
    condition: WriteCondition,
    signal: AbortSignal | undefined,
    how: { shortcut: boolean; ledger?: EpochLedgerState },
  ): Promise<CycleReport> {
    let ledger: EpochLedgerState;
    let floor = 0;
    try {
      ledger = how.ledger ?? (await readEpochLedger(this.#store, this.#ledgerKey, signal));
      // Without a readable ledger (a namespace older than the ledger, or one deleted with the
      // record), registrations are the only other place epochs were written down.
      if (previous === undefined && ledger.kind !== 'valid') floor = await this.#readEpochFloor();
    } catch (error) {
      return { kind: 'read-failed', error };
    }
    const heldFor = this.#heldFor?.();
    // A plugin's lease is claimed only during a global term (rule 6).
    if (this.#heldFor !== undefined && heldFor === undefined) return this.#notClaiming();
    const known = Math.max(this.#highestEpochSeen, previous?.epoch ?? 0);
    this.#longestLeaseSeen = Math.max(this.#longestLeaseSeen, ledgerLongestLease(ledger));
    const observation = this.#observation;
    if (ledgerShowsUnseenTerm(ledger, known) && observation !== undefined) {
      // A term this worker never saw in state.json was reserved (and not marked unclaimed by its
      // reserver): it may have acted, hidden by identical bytes written back. Continuity is unproven.
      this.#highestEpochSeen = ledgerEpoch(ledger);
      this.#observation = { ...observation, firstSeenAt: this.#clock.monotonicNow(), continuityUnproven: true };
      return this.#notClaiming();
    }
    if (!how.shortcut && observation !== undefined && this.#clock.monotonicNow() - observation.firstSeenAt < this.#waitBeforeTakeover(observation)) {
      // The ledger showed a longer lease than this worker knew of.
      return this.#notClaiming();
    }
    // A plugin's lease numbers its terms above the global term it is held under, too: fences that
    // saw the plugin led by global epochs (before plugins had their own lease) see epochs rise.
    const epoch = Math.max(known, ledgerEpoch(ledger), floor, this.#epochToPass, heldFor?.epoch ?? 0) + 1;
    if (epoch > MAX_EPOCH) {
      return { kind: 'claim-lost', error: new RangeError(`The namespace's epochs are exhausted (next would be ${epoch}, above ${MAX_EPOCH}): a record was written by hand or by a bug; run \`baton doctor\``) };
    }
    const startedAt = this.#clock.monotonicNow();
    const now = this.#clock.wallNow();
    const startedWallAt = now;
    const reread = this.#budget(this.#config.heartbeatInterval);
    let reserved: ReservedEpoch | undefined;
    try {
      reserved = await reserveEpoch(
        this.#store,
        this.#ledgerKey,
        ledger,
        { namespace: this.#namespace, epoch, leaseTimeout: this.#config.leaseTimeout, reservedBy: this.#workerId, reservedAt: now },
        { signal, rereadSignal: reread.signal },
      );
      if (reserved === undefined) return { kind: 'claim-lost', error: new Error('another worker reserved the next epoch first') };
    } catch (error) {
      return { kind: 'claim-lost', error };
    } finally {
      reread.dispose();
    }
    this.#highestEpochSeen = epoch;
    const claimed: LeaseRecord = {
      format: LEASE_RECORD_FORMAT,
      namespace: this.#namespace,
      leader: this.#workerId,
      epoch,
      renewals: (previous?.renewals ?? 0) + 1,
      leaseTimeout: this.#config.leaseTimeout,
      previousLeader: previous?.leader ?? previous?.previousLeader ?? null,
      acquiredAt: now,
      renewedAt: now,
      ...(heldFor === undefined ? {} : { heldFor }),
    };
    const outcome = await this.#conditionalWrite(claimed, condition, signal);
    if (outcome.kind !== 'written') {
      // Lost the race, or cannot tell and the re-read does not show our bytes. The next read sees
      // the winner's version, and the wait for expiry starts again from there. The reserved epoch
      // stays unused (epochs increase, with gaps), and this worker never leads under it: saying so
      // in the ledger spares followers a second wait for a term they could have missed.
      const settle = this.#budget(this.#config.heartbeatInterval);
      await markReservationUnclaimed(this.#store, this.#ledgerKey, ledger, reserved, settle.signal).finally(() => settle.dispose());
      return { kind: 'claim-lost', error: outcome.error };
    }
    this.#term = { epoch: claimed.epoch, etag: outcome.etag, record: claimed, ...this.#deadlineFrom(startedAt, startedWallAt) };
    this.#lastTermEpoch = claimed.epoch;
    this.#observe(outcome.etag, { valid: true, record: claimed }, this.#clock.monotonicNow());
    return { kind: 'acquired', epoch: claimed.epoch, previousLeader: claimed.previousLeader };
  }

  async #readEpochFloor(): Promise<number> {
    return this.#epochFloor === undefined ? 0 : Math.min(await this.#epochFloor(), MAX_EPOCH);
  }

  /**
   * A conditional write, settled by `writeConditionally`'s one rule (an unknown outcome is decided
   * by re-reading, under a fresh deadline: the write may have failed because the cycle's signal
   * aborted). A re-read that fails too leaves the outcome unknown and unreadable.
   */
  async #conditionalWrite(record: LeaseRecord, condition: WriteCondition, signal: AbortSignal | undefined): Promise<WriteOutcome> {
    let outcome: ConditionalWriteOutcome;
    try {
      outcome = await writeConditionally(this.#store, this.#key, encodeLeaseRecord(record), condition, {
        signal,
        rereadWithin: (reread) => this.#withinBudget(this.#config.heartbeatInterval, reread),
      });
    } catch (error) {
      return { kind: 'unknown', error, readable: false, current: undefined };
    }
    return outcome.kind === 'not-applied' ? { kind: 'unknown', error: outcome.error, readable: true, current: outcome.current } : outcome;
  }

  async #withinBudget<Result>(budgetMs: number, run: (signal: AbortSignal) => Promise<Result>): Promise<Result> {
    const budget = this.#budget(budgetMs);
    try {
      return await run(budget.signal);
    } finally {
      budget.dispose();
    }
  }

  /** A signal that aborts after `budgetMs` on the injected timers. */
  #budget(budgetMs: number): { signal: AbortSignal; dispose: () => void } {
    const controller = new AbortController();
    const timer = this.#timers.setTimeout(() => {
      controller.abort(new Error(`Settling a write to the lease records took longer than ${budgetMs} ms`));
    }, budgetMs);
    return { signal: controller.signal, dispose: () => this.#timers.clearTimeout(timer) };
  }

  /**
   * The leader's deadline, on both of its own clocks. The monotonic one is the real bound; the
   * wall one is a second, local-only guard: Linux's monotonic clock stops while the host is
   * suspended (laptop lid, paused VM) and would let a resumed leader act on a lapsed lease. The
   * wall clock can only end a term earlier (if it jumps forward), never extend it.
   */
  #deadlineFrom(startedAt: number, startedWallAt: number): Pick<Term, 'renewDeadlineAt' | 'renewDeadlineWallAt'> {
    return { renewDeadlineAt: startedAt + this.#config.renewDeadline, renewDeadlineWallAt: startedWallAt + this.#config.renewDeadline };
  }

  #withinDeadline(term: Term): boolean {
    return this.#clock.monotonicNow() < term.renewDeadlineAt && this.#clock.wallNow() < term.renewDeadlineWallAt;
  }

  /** Records a version; the wait for expiry restarts only when the ETag changes. */
  #observe(etag: string, parsed: ParsedLeaseRecord, seenAt: number): void {
    // A version older than a term already seen was written back (a restored backup): whoever held
    // the newer term may still be acting, and what the old bytes say (released, ours) proves nothing.
    const writtenBack = parsed.valid && parsed.record.epoch < this.#highestEpochSeen;
    if (parsed.valid) {
      this.#highestEpochSeen = Math.max(this.#highestEpochSeen, parsed.record.epoch);
      this.#longestLeaseSeen = Math.max(this.#longestLeaseSeen, parsed.record.leaseTimeout);
    }
    if (this.#observation?.etag === etag) return;
    this.#observation = { etag, parsed, firstSeenAt: seenAt, continuityUnproven: writtenBack };
  }

  /**
   * How long a version must stay unchanged before a follower may take over: the longer of its
   * own `leaseTimeout` and the holder's (a holder configured with a longer lease keeps it).
   * A missing or unreadable record names no holder, and one whose continuity is unproven may hide
   * another: either may hide any holder's live lease, so it is waited out for the longest lease
   * seen in the namespace (records and the epoch ledger).
   */
  #waitBeforeTakeover(observation: Observation): number {
    const own = this.#config.leaseTimeout;
    const { parsed } = observation;
    if (!parsed.valid || observation.continuityUnproven) return Math.max(own, this.#longestLeaseSeen, parsed.valid ? parsed.record.leaseTimeout : 0);
    return Math.max(own, parsed.record.leaseTimeout);
  }
}

/** What {@link LeaseElection} needs. */
export interface LeaseElectionOptions {
  /** The shared store. */
  store: ObjectStore;
  /** The key of the lease record (`…/state.json`). */
  key: string;
  /** The key of the namespace's epoch ledger (`…/epoch.json`). */
  ledgerKey: string;
  /** The namespace, written into the record. */
  namespace: string;
  /** This worker's id. */
  workerId: string;
  /** Durations. */
  config: CoordinatorConfig;
  /** The clock leases are judged by. */
  clock: Clock;
  /** Timers, for the deadline of a re-read that settles an unknown outcome. */
  timers: Timers;
  /**
   * The highest epoch known outside the lease record (the coordinator reads it from worker
   * registrations). Consulted only when the record is missing or unreadable.
   */
  epochFloor?: () => Promise<number>;
  /**
   * For a plugin's lease held by a global leader: the global term now held (`undefined` while
   * none is), written into the record; the lease is claimed only while one is held (rule 6).
   */
  heldFor?: () => HeldFor | undefined;
}

/** What one heartbeat cycle did. */
export type CycleReport =
  | { kind: 'acquired'; epoch: number; previousLeader: string | null }
  | { kind: 'renewed'; epoch: number }
  | { kind: 'renew-failed'; epoch: number; error: unknown }
  | { kind: 'lost'; epoch: number; reason: string }
  | { kind: 'following'; leader: string | null; epoch: number }
  | { kind: 'invalid-record'; reason: string }
  | { kind: 'claim-lost'; error: unknown }
  | { kind: 'read-failed'; error: unknown };

interface Observation {
  etag: string;
  parsed: ParsedLeaseRecord;
  firstSeenAt: number;
  /** A term this worker never saw was reserved while it watched: no shortcut, a full wait. */
  continuityUnproven: boolean;
}

interface Term {
  epoch: number;
  etag: string;
  record: LeaseRecord;
  renewDeadlineAt: number;
  renewDeadlineWallAt: number;
}

type WriteOutcome =
  | { kind: 'written'; etag: string }
  | { kind: 'refused'; error: unknown }
  | { kind: 'unknown'; error: unknown; readable: boolean; current: StoredObject | undefined };

/** The observation "no record exists", which must persist for a lease timeout like any version. */
const MISSING = '<missing>';

/**
 * The most a term moves its epoch up at once on request (see `requestEpochAbove`): 2^24, more
 * terms than a namespace has in decades of failovers, so a real reset is always passed, while
 * a record written by hand with an absurd epoch cannot bring the domain near exhaustion.
 */
export const MAX_EPOCH_JUMP = 2 ** 24;
