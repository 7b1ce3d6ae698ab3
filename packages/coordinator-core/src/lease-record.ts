import { bytesToText } from '@baton/storage';
import { isEpochInDomain, MAX_EPOCH } from './epoch-ledger';

/** The format tag of a lease record; a record without it is not ours. */
export const LEASE_RECORD_FORMAT = 'baton.lease/v1';

/**
 * The content of `state.json`. Only the lease holder changes it, and only by compare-and-swap.
 * Wall-clock fields are for people reading the record; no decision ever uses them.
 */
export interface LeaseRecord {
  /** Always {@link LEASE_RECORD_FORMAT}. */
  format: typeof LEASE_RECORD_FORMAT;
  /** The namespace the lease is for. */
  namespace: string;
  /** The worker holding the lease, or `null` when it was released. */
  leader: string | null;
  /** The term: incremented on every change of holder, never reused. The fencing token. */
  epoch: number;
  /** Incremented on every write, so that every renewal changes the record's bytes (and ETag). */
  renewals: number;
  /** The holder's `leaseTimeout`: followers wait for the longer of it and their own. */
  leaseTimeout: number;
  /** The worker that held the lease before this term, if any. */
  previousLeader: string | null;
  /** Holder's wall clock when the term began. Informational. */
  acquiredAt: number;
  /** Holder's wall clock at the last write. Informational. */
  renewedAt: number;
  /**
   * Set when the holder is a namespace's global leader holding a plugin's lease on the plugin's
   * behalf (see `plugin-lease.ts`): the lease lasts no longer than that global term, so the
   * namespace's next global leader may take it over at once.
   */
  heldFor?: HeldFor;
}

/** A global term a plugin's lease is held under: the namespace and its epoch. */
export interface HeldFor {
  /** The global coordinator's namespace. */
  namespace: string;
  /** The epoch of its term, in the global coordinator's own epoch domain. */
  epoch: number;
}

/** The result of reading `state.json`. */
export type ParsedLeaseRecord = { valid: true; record: LeaseRecord } | { valid: false; reason: string };

/** Serializes a record. */
export function encodeLeaseRecord(record: LeaseRecord): string {
  return JSON.stringify(record);
}

/**
 * Parses a record, never throwing: a truncated or foreign `state.json` is reported as invalid
 * with the reason, so the election can log it and recover instead of crashing its loop.
 */
export function parseLeaseRecord(body: Uint8Array): ParsedLeaseRecord {
  let value: unknown;
  try {
    value = JSON.parse(bytesToText(body));
  } catch (error) {
    return { valid: false, reason: `not JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { valid: false, reason: 'not a JSON object' };
  const record = value as Record<string, unknown>;
  if (record.format !== LEASE_RECORD_FORMAT) return { valid: false, reason: `format is ${JSON.stringify(record.format)}, expected ${LEASE_RECORD_FORMAT}` };
  const problems: string[] = [];
  if (typeof record.namespace !== 'string') problems.push('namespace');
  if (record.leader !== null && typeof record.leader !== 'string') problems.push('leader');
  if (!isEpochInDomain(record.epoch)) problems.push(`epoch (a whole number 0..${MAX_EPOCH})`);
  if (!isWholeNumber(record.renewals)) problems.push('renewals');
  if (!isWholeNumber(record.leaseTimeout) || record.leaseTimeout === 0) problems.push('leaseTimeout');
  if (record.previousLeader !== null && typeof record.previousLeader !== 'string') problems.push('previousLeader');
  if (typeof record.acquiredAt !== 'number') problems.push('acquiredAt');
  if (typeof record.renewedAt !== 'number') problems.push('renewedAt');
  if (record.heldFor !== undefined && !isHeldFor(record.heldFor)) problems.push('heldFor');
  if (problems.length > 0) return { valid: false, reason: `wrong or missing fields: ${problems.join(', ')}` };
  return { valid: true, record: value as LeaseRecord };
}

function isHeldFor(value: unknown): value is HeldFor {
  if (typeof value !== 'object' || value === null) return false;
  const { namespace, epoch } = value as Record<string, unknown>;
  return typeof namespace === 'string' && isEpochInDomain(epoch);
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
