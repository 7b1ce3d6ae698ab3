import { isEpochInDomain, MAX_EPOCH } from '@baton/plugin';
import { bytesToText, writeConditionally, type ObjectStore, type StoredObject, type WriteCondition } from '@baton/storage';

/** The format tag of the epoch ledger (`epoch.json`). */
export const EPOCH_LEDGER_FORMAT = 'baton.epochs/v1';

// The epoch domain is @baton/plugin's (the queue and the TTL check records' epochs against it too).
export { isEpochInDomain, MAX_EPOCH } from '@baton/plugin';

/**
 * The content of `epoch.json`, beside `state.json`: the durable floor of the namespace's epochs.
 * A term's epoch is *reserved* here by compare-and-swap before the term claims `state.json`, so
 * every epoch is handed out once, whatever later happens to `state.json` (deleted, corrupted,
 * restored from a backup). It also remembers the longest lease any holder ran with, which is
 * how long a follower must wait out a lease record it cannot read.
 */
export interface EpochLedgerRecord {
  /** Always {@link EPOCH_LEDGER_FORMAT}. */
  format: typeof EPOCH_LEDGER_FORMAT;
  /** The namespace. */
  namespace: string;
  /** The highest epoch ever reserved. Only ever increases. */
  highestEpoch: number;
  /** The longest `leaseTimeout` of any worker that reserved a term. Only ever increases. */
  longestLeaseTimeout: number;
  /** The worker (or operator) that made the last reservation. Informational. */
  reservedBy: string;
  /** Its wall clock at the reservation. Informational. */
  reservedAt: number;
  /**
   * Set by a reserver that will never lead under `highestEpoch` (its claim of `state.json` was
   * refused or not applied): no term above this epoch can have acted, so a follower that has
   * seen this epoch need not treat the reservation as a term it missed. Cleared by the next
   * reservation.
   */
  unclaimedAbove?: number;
}

/** The ledger as read: missing, unreadable (with the reason), or valid — each with its ETag when it exists. */
export type EpochLedgerState =
  | { kind: 'missing' }
  | { kind: 'invalid'; etag: string; reason: string }
  | { kind: 'valid'; etag: string; record: EpochLedgerRecord };

/** Reads the ledger, never throwing for bad content: an unreadable one is reported as invalid. */
export async function readEpochLedger(store: ObjectStore, key: string, signal?: AbortSignal): Promise<EpochLedgerState> {
  const stored = await store.get(key, { signal });
  return stored === undefined ? { kind: 'missing' } : parseEpochLedger(stored);
}

function parseEpochLedger(stored: StoredObject): EpochLedgerState {
  let value: unknown;
  try {
    value = JSON.parse(bytesToText(stored.body));
  } catch (error) {
    return { kind: 'invalid', etag: stored.etag, reason: `not JSON (${(error as Error).message})` };
  }
  const record = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  if (record.format !== EPOCH_LEDGER_FORMAT) return { kind: 'invalid', etag: stored.etag, reason: `format is ${JSON.stringify(record.format)}, expected ${EPOCH_LEDGER_FORMAT}` };
  if (!isEpochInDomain(record.highestEpoch)) return { kind: 'invalid', etag: stored.etag, reason: `highestEpoch ${JSON.stringify(record.highestEpoch)} is outside 0..${MAX_EPOCH}` };
  if (typeof record.longestLeaseTimeout !== 'number' || !Number.isSafeInteger(record.longestLeaseTimeout) || record.longestLeaseTimeout < 0) {
    return { kind: 'invalid', etag: stored.etag, reason: 'wrong or missing field: longestLeaseTimeout' };
  }
  const valid = value as EpochLedgerRecord;
  // A mark that cannot be right (not below the reservation it marks) is ignored, never trusted.
  if (valid.unclaimedAbove !== undefined && !(isEpochInDomain(valid.unclaimedAbove) && valid.unclaimedAbove < valid.highestEpoch)) {
    const { unclaimedAbove: _ignored, ...rest } = valid;
    return { kind: 'valid', etag: stored.etag, record: rest };
  }
  return { kind: 'valid', etag: stored.etag, record: valid };
}

/** What {@link reserveEpoch} writes. */
export interface EpochReservation {
  /** The namespace. */
  namespace: string;
  /** The epoch to reserve: above the ledger's highest. */
  epoch: number;
  /** The reserving worker's `leaseTimeout` (the ledger keeps the longest). */
  leaseTimeout: number;
  /** Who reserves (a worker id, or a reset holder). */
  reservedBy: string;
  /** The reserver's wall clock. */
  reservedAt: number;
}

/** A reservation that took effect: the ledger as written. */
export interface ReservedEpoch {
  /** The ETag of the ledger as the reservation wrote it. */
  etag: string;
  /** What it wrote. */
  record: EpochLedgerRecord;
}

/**
 * Reserves `reservation.epoch` by compare-and-swap on the ledger as it was read (create-if-absent
 * when it was missing), so two reservations can never hand out one epoch. Returns `undefined` when
 * another reservation came first (or the write did not take effect): read the ledger again.
 *
 * @throws when the outcome cannot be settled (see `writeConditionally`): treat as not reserved.
 */
export async function reserveEpoch(
  store: ObjectStore,
  key: string,
  read: EpochLedgerState,
  reservation: EpochReservation,
  options: { signal?: AbortSignal | undefined; rereadSignal?: AbortSignal | undefined } = {},
): Promise<ReservedEpoch | undefined> {
  if (!isEpochInDomain(reservation.epoch) || reservation.epoch === 0) throw new RangeError(`Epoch ${reservation.epoch} is outside 1..${MAX_EPOCH}`);
  if (read.kind === 'valid' && reservation.epoch <= read.record.highestEpoch) throw new RangeError(`Epoch ${reservation.epoch} is not above the ledger's ${read.record.highestEpoch}`);
  const record: EpochLedgerRecord = {
    format: EPOCH_LEDGER_FORMAT,
    namespace: reservation.namespace,
    highestEpoch: reservation.epoch,
    longestLeaseTimeout: Math.max(reservation.leaseTimeout, read.kind === 'valid' ? read.record.longestLeaseTimeout : 0),
    reservedBy: reservation.reservedBy,
    reservedAt: reservation.reservedAt,
  };
  const condition: WriteCondition = read.kind === 'missing' ? { ifNoneMatch: '*' } : { ifMatch: read.etag };
  const outcome = await writeConditionally(store, key, JSON.stringify(record), condition, { ...options, contentType: 'application/json' });
  return outcome.kind === 'written' ? { etag: outcome.etag, record } : undefined;
}

/**
 * Marks a reservation this process made as one it will never lead under (its claim of
 * `state.json` was refused or not applied), by compare-and-swap on the ledger it wrote: followers
 * then know no term above `read`'s acting epoch exists, and do not wait once more for a term they
 * could have missed. Best effort: if the ledger changed since (a later reservation), or the write
 * fails, nothing is marked and followers just wait once more. Never throws.
 *
 * @param read the ledger as read before the reservation (its acting epoch is carried over)
 */
export async function markReservationUnclaimed(
  store: ObjectStore,
  key: string,
  read: EpochLedgerState,
  reserved: ReservedEpoch,
  signal?: AbortSignal,
): Promise<boolean> {
  const record: EpochLedgerRecord = { ...reserved.record, unclaimedAbove: ledgerActingEpoch(read) };
  try {
    await store.put(key, JSON.stringify(record), { ifMatch: reserved.etag, signal, contentType: 'application/json' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the ledger shows a term above `known` that may have acted (a term a follower that has
 * seen epochs up to `known` may have missed): its highest reservation is above `known`, unless its
 * reserver marked it unclaimed and `known` reaches the epoch below it.
 */
export function ledgerShowsUnseenTerm(ledger: EpochLedgerState, known: number): boolean {
  return ledgerEpoch(ledger) > known && ledgerActingEpoch(ledger) > known;
}

/** The highest epoch of the ledger that may belong to a term that acted. */
function ledgerActingEpoch(ledger: EpochLedgerState): number {
  return ledger.kind === 'valid' ? (ledger.record.unclaimedAbove ?? ledger.record.highestEpoch) : 0;
}

/** The ledger's highest epoch, 0 when it is missing or unreadable. */
export function ledgerEpoch(ledger: EpochLedgerState): number {
  return ledger.kind === 'valid' ? ledger.record.highestEpoch : 0;
}

/** The ledger's longest lease, 0 when it is missing or unreadable. */
export function ledgerLongestLease(ledger: EpochLedgerState): number {
  return ledger.kind === 'valid' ? ledger.record.longestLeaseTimeout : 0;
}
