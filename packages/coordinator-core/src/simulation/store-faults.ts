/** A range of durations in milliseconds; values are drawn uniformly from [minimum, maximum]. */
export interface DurationRange {
  /** The shortest. */
  minimum: number;
  /** The longest. */
  maximum: number;
}

/**
 * What can go wrong between a simulated process and the {@link SimulatedStore}, as independent
 * per-request probabilities. Each request draws the same numbers in the same order whatever the
 * probabilities, so turning one fault up does not reshuffle the others of a seed.
 *
 * Which error the caller sees follows the S3 backend's mapping: when a write may have been
 * applied, a *conditional* write (put with `ifNoneMatch`/`ifMatch`, delete with `ifMatch`) rejects
 * with `OutcomeUnknownError`; anything else rejects with `StorageUnavailableError`.
 */
export interface StoreFaults {
  /** One-way network latency of a request or a response, outside spikes. */
  latencyMs: DurationRange;
  /** Probability that one leg (request or response) of a call is delayed by a spike instead. */
  spikeProbability: number;
  /** One-way latency during a spike: may exceed the client timeout and the lease. */
  spikeLatencyMs: DurationRange;
  /**
   * Probability that the connection is refused: the request certainly never reached the store, so
   * the call fails fast (after one latency) with `StorageUnavailableError`, conditional or not.
   */
  refusedProbability: number;
  /**
   * Probability that the request is lost on its way: not applied, and the caller hears nothing
   * until its timeout, then gets `OutcomeUnknownError` (conditional writes) or `StorageUnavailableError`.
   */
  requestLossProbability: number;
  /**
   * Probability that the server answers 5xx without applying the request: `OutcomeUnknownError`
   * for conditional writes (as Ceph RGW's 500 for a lost race), `StorageUnavailableError` otherwise.
   */
  serverErrorProbability: number;
  /**
   * Probability that a conditional write whose precondition failed is answered 409 Conflict (as
   * some S3-compatibles report lost races) instead of 412: `OutcomeUnknownError`, not
   * `PreconditionFailedError`. Nothing was applied.
   */
  conflictProbability: number;
  /**
   * Probability that the response is lost after the request WAS applied: the caller times out
   * and gets `OutcomeUnknownError` (conditional writes) or `StorageUnavailableError`, although the
   * write took effect.
   */
  replyLossProbability: number;
  /**
   * Probability that a write (put or delete, conditional or not) that the server applied is
   * answered 5xx anyway, as S3 and Ceph RGW can after committing: the caller gets
   * `OutcomeUnknownError` (conditional writes) or `StorageUnavailableError` after a round trip,
   * although the write took effect and is in the history. Writes refused by their precondition
   * are not affected (they were not applied); reads never are.
   */
  appliedThenErrorChance: number;
  /**
   * Probability that a conditional write whose precondition holds (it would have won) is refused
   * with 409 Conflict instead, as RGW answers concurrent conditional writes: not applied, and the
   * caller gets `OutcomeUnknownError`, so it cannot tell a refused winner from a lost race.
   */
  winnerConflictChance: number;
  /**
   * How long a client waits for a response, measured on the calling process's own clock (as the
   * S3 backend's request timeout). A response that arrives later is ignored, and its write may
   * still have been applied after the caller gave up. Infinity: wait forever.
   */
  timeoutMs: number;
}

/** No faults at all, and latencies of 1–10 ms: the "healthy" mode. */
export const HEALTHY_STORE_FAULTS: Readonly<StoreFaults> = Object.freeze({
  latencyMs: Object.freeze({ minimum: 1, maximum: 10 }),
  spikeProbability: 0,
  spikeLatencyMs: Object.freeze({ minimum: 0, maximum: 0 }),
  refusedProbability: 0,
  requestLossProbability: 0,
  serverErrorProbability: 0,
  conflictProbability: 0,
  replyLossProbability: 0,
  appliedThenErrorChance: 0,
  winnerConflictChance: 0,
  // The S3 backend's default request timeout.
  timeoutMs: 30_000,
});

/**
 * A hostile but plausible store: a few percent of calls fail (about one in twenty), one in
 * fifty hangs until the 30 s client timeout (request or reply lost), and about one leg in two
 * hundred takes 5–45 s: beyond the default 15 s lease and sometimes beyond the timeout, so some
 * writes land after their caller gave up on them. As on S3 and RGW, one write in a hundred is
 * applied and still answered 5xx, and one conditional write in fifty that would have won is
 * refused with a 409 that says nothing of the outcome. A coordinator that waits out the full client
 * timeout on every call will often miss its renewal deadline here: by design.
 */
export const UNRELIABLE_STORE_FAULTS: Readonly<StoreFaults> = Object.freeze({
  latencyMs: Object.freeze({ minimum: 2, maximum: 80 }),
  spikeProbability: 0.005,
  spikeLatencyMs: Object.freeze({ minimum: 5_000, maximum: 45_000 }),
  refusedProbability: 0.01,
  requestLossProbability: 0.01,
  serverErrorProbability: 0.02,
  conflictProbability: 0.2,
  replyLossProbability: 0.01,
  appliedThenErrorChance: 0.01,
  winnerConflictChance: 0.02,
  timeoutMs: 30_000,
});

/** {@link HEALTHY_STORE_FAULTS} with `overrides` applied, checked. */
export function storeFaults(overrides: Partial<StoreFaults> = {}): StoreFaults {
  const faults: StoreFaults = { ...HEALTHY_STORE_FAULTS, ...overrides };
  validateStoreFaults(faults);
  return faults;
}

/**
 * Checks that every probability is in [0, 1], every range is ordered and non-negative, and the
 * timeout is positive.
 *
 * @throws {RangeError} naming the field.
 */
export function validateStoreFaults(faults: StoreFaults): void {
  for (const field of [
    'spikeProbability',
    'refusedProbability',
    'requestLossProbability',
    'serverErrorProbability',
    'conflictProbability',
    'replyLossProbability',
    'appliedThenErrorChance',
    'winnerConflictChance',
  ] as const) {
    const value = faults[field];
    if (!(value >= 0 && value <= 1)) throw new RangeError(`StoreFaults.${field} must be a probability in [0, 1], got ${value}`);
  }
  for (const field of ['latencyMs', 'spikeLatencyMs'] as const) {
    const range = faults[field];
    if (!(range.minimum >= 0 && range.maximum >= range.minimum && Number.isFinite(range.maximum))) {
      throw new RangeError(`StoreFaults.${field} must satisfy 0 <= minimum <= maximum < Infinity, got ${JSON.stringify(range)}`);
    }
  }
  if (!(faults.timeoutMs > 0)) throw new RangeError(`StoreFaults.timeoutMs must be positive, got ${faults.timeoutMs}`);
}
