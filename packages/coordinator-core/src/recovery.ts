import { randomBytes } from 'node:crypto';
import { isStorageError, listPages, writeConditionally, type ObjectStore, type StoredObject } from '@baton/storage';
import { DEFAULT_COORDINATOR_CONFIG } from './config';
import { isEpochInDomain, ledgerEpoch, markReservationUnclaimed, readEpochLedger, reserveEpoch, type EpochLedgerState } from './epoch-ledger';
import { encodeLeaseRecord, LEASE_RECORD_FORMAT, parseLeaseRecord, type LeaseRecord } from './lease-record';
import { namespaceKeys, type NamespaceKeys } from './storage-keys';
import { parseWorkerRecord } from './worker-registry';

/**
 * Lease holders written by an operator's reset start with this. No worker id does (they start
 * with `gcs-`), so the election treats such a record as *held by someone else*: every worker
 * waits a full `leaseTimeout` of unchanged record before claiming it.
 */
export const RESET_HOLDER_PREFIX = 'reset:';

/** Whether a lease holder is an operator's reset (see {@link forceReelection}), not a worker. */
export function isResetHolder(holder: string | null | undefined): boolean {
  return typeof holder === 'string' && holder.startsWith(RESET_HOLDER_PREFIX);
}

/** Options for {@link forceReelection} and {@link clearCorruptedState}. */
export interface RecoveryOptions {
  /** The namespace. Default `default`. */
  namespace?: string;
  /** The key layout, for a plugin's own election. Default: the namespace's. */
  keys?: NamespaceKeys;
  /** Who resets, written into the holder (`reset:<operator>-<token>`). Letters, digits, `._-@`. Default `operator`. */
  operator?: string;
  /**
   * The fleet's `leaseTimeout`: how long workers must watch the reset record before one may
   * claim it. The record's own value is kept when longer. Default 15000 (`hub.config.leaseTimeout` is the right value).
   */
  leaseTimeout?: number;
  /** Wall clock for the informational timestamps. Default `Date.now`. */
  wallNow?: () => number;
  /** Aborts the storage requests. */
  signal?: AbortSignal;
}

/** What a recovery did. */
export interface RecoveryResult {
  /**
   * `reset`: the term was ended by writing a held reset record with a higher epoch.
   * `already-released` / `already-reset`: nothing to end, nothing written.
   * `nothing-to-clear`: {@link clearCorruptedState} found the record valid or missing.
   */
  outcome: 'reset' | 'already-released' | 'already-reset' | 'nothing-to-clear';
  /** The namespace. */
  namespace: string;
  /** The lease record's key. */
  key: string;
  /** The holder and epoch found, when the record was valid. */
  previous: { leader: string | null; epoch: number } | null;
  /** The reset record written, when one was. */
  written: { holder: string; epoch: number; leaseTimeout: number } | null;
  /** Worker registrations removed because they could not be parsed ({@link clearCorruptedState} only). */
  removedRegistrations: string[];
}

/** Why a recovery refused or could not finish. */
export type RecoveryErrorCode = 'NO_LEASE_RECORD' | 'CORRUPTED_LEASE_RECORD' | 'CONFLICT' | 'OUTCOME_UNKNOWN';

/** A recovery refused (the state is not what it handles) or lost a race. The message says what to do. */
export class RecoveryError extends Error {
  constructor(
    readonly code: RecoveryErrorCode,
    readonly namespace: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RecoveryError';
  }
}

/**
 * Ends the current term safely, instead of deleting `state.json` as the guide's "Stuck Leader"
 * recipe does. It replaces the record, by compare-and-swap on the ETag just read, with one that
 * is *held* by a non-worker holder (`reset:<operator>-<token>`) at epoch = current + 1 (or above
 * the highest epoch any worker registered, if that is higher):
 *
 * - the old leader's next renewal is refused (its ETag is gone), so it stops at once, and in any
 *   case by its renew deadline, which it counts from its last successful renewal;
 * - no worker may claim the reset record before it has watched it unchanged for a full
 *   `leaseTimeout` (a held record, not a released one), so the old leader has stopped first;
 * - the next leader's epoch is current + 2: greater than both the old term's and the reset's.
 *
 * A deleted record would instead let a worker that never saw one create it at once, while the
 * old leader may still be acting. Running this twice is harmless (`already-reset`).
 *
 * @throws {RecoveryError} `NO_LEASE_RECORD` (nothing to reset), `CORRUPTED_LEASE_RECORD` (use
 *   {@link clearCorruptedState}), `CONFLICT` (the record changed meanwhile: run it again), or
 *   `OUTCOME_UNKNOWN` (the store could not tell whether the write applied: run it again).
 */
export async function forceReelection(store: ObjectStore, options: RecoveryOptions = {}): Promise<RecoveryResult> {
  const { namespace, keys } = resolveTarget(options);
  // Above every epoch in use: a record rewritten by hand may be behind what workers registered.
  // Read first, so that little time passes between reading the record and swapping it.
  const { highestEpoch } = await readRegistrations(store, keys, options.signal);
  const current = await store.get(keys.state, { signal: options.signal });
  if (current === undefined) {
    throw new RecoveryError('NO_LEASE_RECORD', namespace, `No lease record at ${keys.state}: there is no term to end (check the namespace, bucket and prefix)`);
  }
  const parsed = parseLeaseRecord(current.body);
  if (!parsed.valid) {
    throw new RecoveryError(
      'CORRUPTED_LEASE_RECORD',
      namespace,
      `The lease record at ${keys.state} is not valid (${parsed.reason}): use clearCorruptedState (baton reset-leader handles both)`,
    );
  }
  const record = parsed.record;
  const base: Omit<RecoveryResult, 'outcome' | 'written'> = {
    namespace,
    key: keys.state,
    previous: { leader: record.leader, epoch: record.epoch },
    removedRegistrations: [],
  };
  if (record.leader === null) return { ...base, outcome: 'already-released', written: null };
  if (isResetHolder(record.leader)) return { ...base, outcome: 'already-reset', written: null };

  const written = await writeResetRecord(store, current, keys, namespace, {
    epoch: Math.max(record.epoch, highestEpoch) + 1,
    renewals: record.renewals + 1,
    leaseTimeout: Math.max(record.leaseTimeout, options.leaseTimeout ?? 0),
    previousLeader: record.leader,
    options,
  });
  return { ...base, outcome: 'reset', written };
}

/**
 * The guide's "Corrupted State" recovery, made safe: a `state.json` that cannot be parsed is
 * replaced (by compare-and-swap on its ETag) with a held reset record whose epoch is above every
 * epoch any worker registered, so epochs keep increasing; registrations that cannot be parsed
 * are removed (live workers re-create theirs at their next refresh). A valid or missing record
 * is left alone (`nothing-to-clear`; a valid one is reset with {@link forceReelection}).
 *
 * @throws {RecoveryError} `CONFLICT` or `OUTCOME_UNKNOWN` as {@link forceReelection}.
 */
export async function clearCorruptedState(store: ObjectStore, options: RecoveryOptions = {}): Promise<RecoveryResult> {
  const { namespace, keys } = resolveTarget(options);
  const { highestEpoch, unparseable } = await readRegistrations(store, keys, options.signal);
  const removed: string[] = [];
  for (const garbage of unparseable) if (await deleteUnlessRewritten(store, garbage, options.signal)) removed.push(garbage.key);
  const removedRegistrations = removed.map((key) => key.slice(keys.workersPrefix.length, -'.json'.length));
  const current = await store.get(keys.state, { signal: options.signal });
  const base = { namespace, key: keys.state, removedRegistrations };
  if (current === undefined) return { ...base, outcome: 'nothing-to-clear', previous: null, written: null };
  const parsed = parseLeaseRecord(current.body);
  if (parsed.valid) {
    return { ...base, outcome: 'nothing-to-clear', previous: { leader: parsed.record.leader, epoch: parsed.record.epoch }, written: null };
  }
  const written = await writeResetRecord(store, current, keys, namespace, {
    epoch: highestEpoch + 1,
    renewals: 1,
    leaseTimeout: options.leaseTimeout ?? DEFAULT_COORDINATOR_CONFIG.leaseTimeout,
    previousLeader: null,
    options,
  });
  return { ...base, outcome: 'reset', previous: null, written };
}

/**
 * Deletes an unreadable registration only as read: its worker may have rewritten it since (a
 * live worker's registration must not vanish). By `If-Match` where the store enforces it on
 * DELETE; elsewhere (Ceph RGW ignores it) after a re-read shows the same version, which narrows
 * the window to one round trip. Returns whether it was deleted.
 */
async function deleteUnlessRewritten(store: ObjectStore, garbage: { key: string; etag: string }, signal: AbortSignal | undefined): Promise<boolean> {
  if (store.capabilities.conditionalDelete) {
    try {
      await store.delete(garbage.key, { ifMatch: garbage.etag, signal });
      return true;
    } catch (error) {
      if (isStorageError(error, 'PRECONDITION_FAILED')) return false;
      throw error;
    }
  }
  const current = await store.get(garbage.key, { signal });
  if (current?.etag !== garbage.etag) return false;
  await store.delete(garbage.key, { signal });
  return true;
}

/** The namespace and keys to recover; refuses an invalid operator name before any request is sent. */
function resolveTarget(options: RecoveryOptions): { namespace: string; keys: NamespaceKeys } {
  const operator = options.operator ?? 'operator';
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(operator)) {
    throw new TypeError(`Invalid operator name ${JSON.stringify(operator)}: use 1-64 letters, digits, '.', '_', '@' or '-'`);
  }
  const namespace = options.namespace ?? 'default';
  return { namespace, keys: options.keys ?? namespaceKeys(namespace) };
}

async function writeResetRecord(
  store: ObjectStore,
  current: StoredObject,
  keys: NamespaceKeys,
  namespace: string,
  fields: { epoch: number; renewals: number; leaseTimeout: number; previousLeader: string | null; options: RecoveryOptions },
): Promise<NonNullable<RecoveryResult['written']>> {
  const key = keys.state;
  const operator = fields.options.operator ?? 'operator';
  const holder = `${RESET_HOLDER_PREFIX}${operator}-${randomBytes(4).toString('hex')}`;
  const now = (fields.options.wallNow ?? Date.now)();
  const record: LeaseRecord = {
    format: LEASE_RECORD_FORMAT,
    namespace,
    leader: holder,
    epoch: fields.epoch,
    renewals: fields.renewals,
    leaseTimeout: fields.leaseTimeout,
    previousLeader: fields.previousLeader,
    acquiredAt: now,
    renewedAt: now,
  };
  // The reset's epoch is reserved in the epoch ledger first, like any term's: it is then above
  // every epoch ever handed out, and no worker can be given it.
  let ledger: EpochLedgerState = { kind: 'missing' };
  const reserved = await settle(namespace, key, async () => {
    ledger = await readEpochLedger(store, keys.epochLedger, fields.options.signal);
    record.epoch = Math.max(record.epoch, ledgerEpoch(ledger) + 1);
    const reservation = { namespace, epoch: record.epoch, leaseTimeout: record.leaseTimeout, reservedBy: holder, reservedAt: now };
    return reserveEpoch(store, keys.epochLedger, ledger, reservation, { signal: fields.options.signal });
  });
  if (reserved === undefined) throw new RecoveryError('CONFLICT', namespace, `A worker reserved a new epoch while resetting ${key}; nothing was written: run the reset again`);
  const outcome = await settle(namespace, key, () => writeConditionally(store, key, encodeLeaseRecord(record), { ifMatch: current.etag }, { signal: fields.options.signal }));
  // A reset that certainly did not land never held its epoch: followers need not wait for it.
  if (outcome.kind !== 'written') await markReservationUnclaimed(store, keys.epochLedger, ledger, reserved, fields.options.signal);
  if (outcome.kind === 'refused') {
    throw new RecoveryError('CONFLICT', namespace, `The lease record at ${key} changed while resetting it (a renewal or a takeover); nothing was written: run the reset again`, {
      cause: outcome.error,
    });
  }
  if (outcome.kind === 'not-applied') {
    throw new RecoveryError('CONFLICT', namespace, `The reset of ${key} was not applied (${String(outcome.error)}): run the reset again`, { cause: outcome.error });
  }
  return { holder, epoch: record.epoch, leaseTimeout: record.leaseTimeout };
}

/** Runs a settled write; a write whose outcome cannot be settled is `OUTCOME_UNKNOWN`. */
async function settle<T>(namespace: string, key: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isStorageError(error, 'OUTCOME_UNKNOWN')) throw error;
    throw new RecoveryError('OUTCOME_UNKNOWN', namespace, `The reset of ${key} may or may not have been applied and cannot be read back: run the reset again`, { cause: error });
  }
}

async function readRegistrations(
  store: ObjectStore,
  keys: NamespaceKeys,
  signal: AbortSignal | undefined,
): Promise<{ highestEpoch: number; unparseable: { key: string; etag: string }[] }> {
  let highestEpoch = 0;
  const unparseable: { key: string; etag: string }[] = [];
  for await (const page of listPages(store, { prefix: keys.workersPrefix, signal })) {
    for (const entry of page.entries) {
      if (keys.workerIdFromKey(entry.key) === undefined) continue;
      const stored = await store.get(entry.key, { signal });
      if (stored === undefined) continue;
      const record = parseWorkerRecord(stored.body);
      if (record === undefined) unparseable.push({ key: entry.key, etag: stored.etag });
      // An epoch outside the domain was not written by a term (the election ignores it too): it
      // must not become the reset's floor, which no ledger reservation could then accept.
      else if (isEpochInDomain(record.epoch)) highestEpoch = Math.max(highestEpoch, record.epoch);
    }
  }
  return { highestEpoch, unparseable };
}
