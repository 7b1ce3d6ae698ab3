import { parseLeaseRecord } from '../lease-record';
import { parseFencedRecord } from './fenced-leader-work';
import type { SimulatedProcess } from './simulated-process';
import type { AppliedWrite } from './simulated-store';

/** The invariants a scenario checks. */
export type InvariantName = 'single-leader' | 'epoch-order' | 'fencing' | 'failover-bound' | 'leader-work-recovers';

/** One leadership domain: a lease record and the record its leader work writes. */
export interface LeadershipDomain {
  /** For messages: `namespace` or `plugin`. */
  name: string;
  /** The lease record (`…/state.json`). */
  stateKey: string;
  /** The record the domain's leader work writes, fenced by epoch. */
  fencedKey: string;
}

/** A term as the store recorded it: the first write of a lease record naming a holder and an epoch. */
interface StoredClaim {
  leader: string;
  epoch: number;
  time: number;
  /**
   * Set when the claim landed at or below a term already claimed: a create-if-absent delayed in
   * the network can land after `state.json` was deleted, long after its sender gave it up. Such a
   * write is harmless unless a worker announces or acts under it.
   */
  outOfOrder?: string;
}

/**
 * Judges one domain by what the store *applied* (its history), not by what workers believe:
 *
 * - **epoch-order**: every term a worker announces or acts under is a claim the store applied
 *   with an epoch above every earlier claim's;
 * - **fencing**: leader work acts (sends a write) only under a term the store shows it claimed,
 *   and only while no later term has been claimed; and no fenced write is ever applied over a
 *   record written under a higher epoch.
 *
 * Writes by outside actors (an operator deleting, corrupting or restoring records, as the
 * guide's recovery does) are applied to the store but are not terms: they are skipped.
 */
export class GroundTruthChecker {
  readonly #domain: LeadershipDomain;
  readonly #history: () => readonly AppliedWrite[];
  readonly #isOutsider: (process: SimulatedProcess | undefined) => boolean;
  readonly #violate: (invariant: InvariantName, detail: string) => void;
  readonly #claims = new Map<string, StoredClaim>();
  #latestClaim: StoredClaim | undefined;
  #fencedEpoch = 0;
  #processed = 0;
  #fencedWrites = 0;

  constructor(options: {
    domain: LeadershipDomain;
    history: () => readonly AppliedWrite[];
    isOutsider: (process: SimulatedProcess | undefined) => boolean;
    violate: (invariant: InvariantName, detail: string) => void;
  }) {
    this.#domain = options.domain;
    this.#history = options.history;
    this.#isOutsider = options.isOutsider;
    this.#violate = options.violate;
  }

  /** Terms claimed in the store so far. */
  get claims(): number {
    return this.#claims.size;
  }

  /** Fenced writes the store applied so far. */
  get fencedWrites(): number {
    return this.#fencedWrites;
  }

  /** Reads the writes applied since the last call. Call before judging anything. */
  sync(): void {
    const history = this.#history();
    for (; this.#processed < history.length; this.#processed += 1) {
      const write = history[this.#processed] as AppliedWrite;
      if (write.key === this.#domain.stateKey) this.#onLeaseWrite(write);
      else if (write.key === this.#domain.fencedKey) this.#onFencedWrite(write);
    }
  }

  /** A worker announced it acquired a term: the store must show that claim. */
  acquired(workerId: string, epoch: number): void {
    this.sync();
    const claim = this.#claims.get(claimKey(workerId, epoch));
    if (claim === undefined) this.#violate('epoch-order', `${this.#domain.name}: ${workerId} announced epoch ${epoch}, but the store shows no such claim`);
    else if (claim.outOfOrder !== undefined) this.#violate('epoch-order', `${this.#domain.name}: ${workerId} announced ${claim.outOfOrder}`);
  }

  /** Leader work is about to send a write under `epoch`: the store must show that term, and no later one. */
  sending(workerId: string, epoch: number): void {
    this.sync();
    const claim = this.#claims.get(claimKey(workerId, epoch));
    if (claim === undefined) {
      this.#violate('fencing', `${this.#domain.name}: ${workerId} acted under epoch ${epoch}, a term the store never gave it`);
      return;
    }
    if (claim.outOfOrder !== undefined) {
      this.#violate('epoch-order', `${this.#domain.name}: ${workerId} acted under ${claim.outOfOrder}`);
      return;
    }
    const latest = this.#latestClaim;
    if (latest !== undefined && latest.epoch > epoch) {
      this.#violate('fencing', `${this.#domain.name}: ${workerId} acted under epoch ${epoch} after ${latest.leader} claimed epoch ${latest.epoch} at ${latest.time.toFixed(1)} ms`);
    }
  }

  #onLeaseWrite(write: AppliedWrite): void {
    if (write.kind !== 'put' || write.body === undefined || this.#isOutsider(write.process)) return;
    const parsed = parseLeaseRecord(write.body);
    if (!parsed.valid) {
      this.#violate('epoch-order', `${this.#domain.name}: a worker wrote an invalid lease record (${parsed.reason})`);
      return;
    }
    const { leader, epoch } = parsed.record;
    if (leader === null || this.#claims.has(claimKey(leader, epoch))) return; // a release or a renewal
    const latest = this.#latestClaim;
    const claim: StoredClaim = { leader, epoch, time: write.time };
    if (latest !== undefined && epoch <= latest.epoch) {
      claim.outOfOrder = `epoch ${epoch}, claimed at ${write.time.toFixed(1)} ms after ${latest.leader} had claimed epoch ${latest.epoch}`;
    }
    this.#claims.set(claimKey(leader, epoch), claim);
    if (latest === undefined || epoch > latest.epoch) this.#latestClaim = claim;
  }

  #onFencedWrite(write: AppliedWrite): void {
    if (write.kind !== 'put' || write.body === undefined) return;
    const epoch = parseFencedRecord(write.body)?.epoch ?? 0;
    if (!this.#isOutsider(write.process)) {
      this.#fencedWrites += 1;
      if (epoch < this.#fencedEpoch) {
        this.#violate('fencing', `${this.#domain.name}: a fenced write under epoch ${epoch} was applied over a record written under epoch ${this.#fencedEpoch}`);
      }
    }
    this.#fencedEpoch = epoch;
  }
}

function claimKey(leader: string, epoch: number): string {
  return `${leader}@${epoch}`;
}
