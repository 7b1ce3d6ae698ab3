/**
 * The highest epoch a term may have: 2^40 (at one new term per second, 35 000 years). A record
 * claiming a higher one — a lease record, a ledger, or a queue or TTL record's `leaderEpoch` — was
 * not written by baton (no term is ever given one): it is treated as corrupt, so that it cannot
 * end the election or fence a real leader out, and the epochs of real terms stay within the range
 * every store, JSON parser and fence compares exactly.
 */
export const MAX_EPOCH = 2 ** 40;

/** Whether `epoch` is a whole number in the epoch domain `0..MAX_EPOCH` (0: no term yet). */
export function isEpochInDomain(epoch: unknown): epoch is number {
  return typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0 && epoch <= MAX_EPOCH;
}
