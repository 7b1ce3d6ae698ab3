import { randomBytes } from 'node:crypto';
import type { SleepTimers } from './abort';
import { bytesToText, toBytes } from './body';
import { contentEtag } from './etag';
import { isRetryableStorageError, isStorageError, type StorageErrorCode, type StorageOperation } from './errors';
import type { ObjectStore } from './object-store';
import { retryIdempotent } from './retry';

/** Options for {@link probeStorage}. */
export interface ProbeOptions {
  /** Where the probe writes its scratch objects (removed afterwards). Default `.baton-probe/`. */
  keyPrefix?: string;
  /** Aborts the probe. */
  signal?: AbortSignal | undefined;
  /**
   * How many times each request is tried when the store fails with a transient error (timeout,
   * 5xx, throttling, unknown outcome), the first included. Default 3.
   */
  attempts?: number;
  /** The average delay before the first retry, in milliseconds; it doubles each time (with jitter). Default 250. */
  retryDelayMs?: number;
  /** The timers the retry delays run on (a test's, a simulator's). Default Node's. */
  timers?: SleepTimers | undefined;
  /** Where the jitter of the retry delays comes from. Default `Math.random`. */
  random?: (() => number) | undefined;
}

/** The storage error a check ended with, for callers that branch on it (access denied, missing bucket). */
export interface ProbeCheckFailure {
  /** The error's code. */
  code: StorageErrorCode;
  /** The operation that failed. */
  operation: StorageOperation;
  /** The key it was about, when there was one. */
  key?: string | undefined;
}

/** One check of a probe. */
export interface ProbeCheck {
  /** Stable identifier, e.g. `conditional-create-enforced`. */
  id: string;
  /** What was checked, in words. */
  description: string;
  /**
   * `pass`, `fail`, `skip` (not applicable to this store, or not run because an earlier check it
   * builds on did not pass), or `inconclusive` (the store kept failing with transient errors).
   */
  outcome: 'pass' | 'fail' | 'skip' | 'inconclusive';
  /** What was observed. */
  detail: string;
  /** The storage error the check ended with, when one decided it (`fail` or `inconclusive`). */
  failure?: ProbeCheckFailure | undefined;
  /** Time the check took, in milliseconds. */
  durationMs: number;
}

/**
 * The probe's verdict (see {@link probeOutcome}): `safe` (every check leases depend on passed),
 * `unsafe` (one of them failed: the store ignores conditional writes, or refused the probe's
 * requests — see the failed check's `failure`), or `inconclusive` (none failed, but transient
 * errors kept some from finishing even after retries: nothing is known yet; probe again).
 */
export type ProbeOutcome = 'safe' | 'unsafe' | 'inconclusive';

/** The result of {@link probeStorage}. */
export interface ProbeReport {
  /** The store's description. */
  store: string;
  /**
   * True when the store can be trusted with leases: writes are read back, and both conditional
   * writes are enforced. When false, do not run a coordinator on it; {@link probeOutcome} tells
   * whether that is a verdict or only a lack of answers.
   */
  safe: boolean;
  /** The capabilities the probe observed (not just what the store claims). */
  observed: {
    readAfterWrite: boolean;
    conditionalCreate: boolean;
    conditionalUpdate: boolean;
    /** `undefined` when the store does not claim it (and so was not asked). */
    conditionalDelete: boolean | undefined;
    listAfterWrite: boolean;
  };
  /** Every check, in the order run. */
  checks: ProbeCheck[];
}

type Verdict = { pass: boolean; detail: string; failure?: ProbeCheckFailure | undefined } | 'skip';

/** The checks leases depend on: one of them failing makes the store unsafe. */
const LEASE_CHECK_IDS = new Set([
  'read-after-write',
  'conditional-create-enforced',
  'conditional-create-applies',
  'conditional-update-enforced',
  'conditional-update-missing',
  'conditional-update-applies',
]);

/**
 * Checks a live store for what leases depend on: that a write is read back, and that
 * create-if-absent and compare-and-swap are *enforced*. Several S3-compatible stores accept the
 * `If-None-Match` / `If-Match` headers and then ignore them, which turns every lease into a
 * split brain; this probe catches that by trying writes that must be refused.
 *
 * A transient error (timeout, 5xx, throttling, unknown outcome) is not a finding: the request is
 * tried again (`attempts`, `retryDelayMs`), conditional writes settled by re-reading first. A
 * check that still cannot finish is `inconclusive`, the probe stops there (what it would find
 * next rests on state it could not read), and the report is {@link probeOutcome} `inconclusive` —
 * not `unsafe` — unless a check had already failed.
 *
 * It writes a few small objects under `keyPrefix` and deletes them. It never throws for what it
 * finds (failures are in the report); it throws only when aborted.
 */
export async function probeStorage(store: ObjectStore, options: ProbeOptions = {}): Promise<ProbeReport> {
  const signal = options.signal;
  const attempts = Math.max(1, options.attempts ?? 3);
  const base = `${options.keyPrefix ?? '.baton-probe/'}${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const key = `${base}/subject`;
  const freshKey = `${base}/fresh`;
  const missingKey = `${base}/never-written`;
  const checks: ProbeCheck[] = [];
  // Set once the checks still to come cannot be judged: they build on state the probe failed to establish.
  let stopReason: string | undefined;

  /** Runs a request again while the store fails transiently; the last error once attempts run out. */
  const retried = <T>(attempt: () => Promise<T>): Promise<T> =>
    retryIdempotent({ attempt, maxAttempts: attempts, baseDelayMs: options.retryDelayMs ?? 250, signal, random: options.random, timers: options.timers });
  const read = (readKey: string) => retried(() => store.get(readKey, { signal }));

  async function check(id: string, description: string, run: () => Promise<Verdict>, always = false): Promise<boolean> {
    if (stopReason !== undefined && !always) {
      checks.push({ id, description, outcome: 'skip', detail: `not run: ${stopReason}`, durationMs: 0 });
      return false;
    }
    const started = performance.now();
    let verdict: Verdict | { inconclusive: string; failure: ProbeCheckFailure | undefined };
    try {
      verdict = await run();
    } catch (error) {
      signal?.throwIfAborted();
      verdict = isRetryableStorageError(error)
        ? { inconclusive: `the store kept failing with ${describe(error)} (${attempts} attempts)`, failure: failureOf(error) }
        : { pass: false, detail: `unexpected error: ${(error as Error).message}`, failure: failureOf(error) };
    }
    const durationMs = Math.round(performance.now() - started);
    if (verdict === 'skip') {
      checks.push({ id, description, outcome: 'skip', detail: 'not claimed by the store', durationMs });
      return false;
    }
    if ('inconclusive' in verdict) {
      checks.push({ id, description, outcome: 'inconclusive', detail: verdict.inconclusive, failure: verdict.failure, durationMs });
      stopReason ??= `${id} was inconclusive`;
      return false;
    }
    checks.push({ id, description, outcome: verdict.pass ? 'pass' : 'fail', detail: verdict.detail, ...(verdict.failure === undefined ? {} : { failure: verdict.failure }), durationMs });
    return verdict.pass;
  }

  /**
   * Runs a write that must be refused; passes only on a precondition failure that left `expected`
   * in place. A transient failure that left it in place proves nothing either way: the write is
   * tried again.
   */
  function mustBeRefused(write: () => Promise<unknown>, readKey: string, expected: string | undefined): Promise<Verdict> {
    return retried(async (): Promise<Verdict> => {
      try {
        await write();
        return { pass: false, detail: 'the store accepted a write whose condition was false: it ignores conditional headers' };
      } catch (error) {
        signal?.throwIfAborted();
        const stored = await read(readKey);
        const storedText = stored === undefined ? undefined : bytesToText(stored.body);
        if (storedText !== expected) {
          return { pass: false, detail: `the write reported ${describe(error)} but was applied anyway` };
        }
        if (isStorageError(error, 'PRECONDITION_FAILED')) return { pass: true, detail: 'refused with a precondition failure' };
        if (isStorageError(error, 'OUTCOME_UNKNOWN')) return { pass: true, detail: 'refused (reported as outcome unknown; re-read shows no change)' };
        if (isRetryableStorageError(error)) throw error;
        return { pass: false, detail: `failed with ${describe(error)} instead of a precondition failure`, failure: failureOf(error) };
      }
    });
  }

  /**
   * Runs a conditional write that must apply. A failure whose re-read shows `body` stored was
   * applied (by this try, or by an earlier one whose reply was lost); a transient one that did
   * not apply is tried again.
   */
  function mustApply(write: () => Promise<{ etag: string }>, readKey: string, body: string): Promise<{ applied: true; etag: string; settled: boolean } | { applied: false; error: unknown }> {
    return retried(async () => {
      try {
        return { applied: true as const, etag: (await write()).etag, settled: false };
      } catch (error) {
        signal?.throwIfAborted();
        const stored = await read(readKey);
        if (stored !== undefined && bytesToText(stored.body) === body) return { applied: true as const, etag: stored.etag, settled: true };
        if (isRetryableStorageError(error)) throw error;
        return { applied: false as const, error };
      }
    });
  }

  const readAfterWrite = await check('read-after-write', 'A written object is read back at once', async () => {
    await retried(() => store.put(key, 'v1', { signal }));
    const stored = await read(key);
    if (stored === undefined) return { pass: false, detail: 'the object was not found right after it was written' };
    return bytesToText(stored.body) === 'v1'
      ? { pass: true, detail: 'read back the written bytes' }
      : { pass: false, detail: 'read back different bytes' };
  });
  // Every check below writes or reads the subject (or needs writes to work at all).
  if (!readAfterWrite) stopReason ??= 'read-after-write did not pass';

  const createRefused = await check('conditional-create-enforced', 'Create-if-absent (If-None-Match: *) is refused when the object exists', () =>
    mustBeRefused(() => store.put(key, 'overwritten', { ifNoneMatch: '*', signal }), key, 'v1'),
  );
  const createAllowed = await check('conditional-create-applies', 'Create-if-absent succeeds when the object is absent', async () => {
    const created = await mustApply(() => store.put(freshKey, 'created', { ifNoneMatch: '*', signal }), freshKey, 'created');
    if (!created.applied) return { pass: false, detail: `the create of an absent object failed with ${describe(created.error)}`, failure: failureOf(created.error) };
    const stored = await read(freshKey);
    return stored !== undefined && bytesToText(stored.body) === 'created'
      ? { pass: true, detail: created.settled ? 'created (the reply was lost; the re-read shows it applied)' : 'created' }
      : { pass: false, detail: 'the create reported success but the object is not there' };
  });

  // A well-formed ETag (the MD5 form S3 uses) of bytes the subject never holds.
  const staleEtag = contentEtag(toBytes('bytes the probe never writes'));
  const updateRefused = await check('conditional-update-enforced', 'Compare-and-swap (If-Match) is refused for a stale ETag', () =>
    mustBeRefused(() => store.put(key, 'overwritten', { ifMatch: staleEtag, signal }), key, 'v1'),
  );
  const missingRefused = await check('conditional-update-missing', 'Compare-and-swap is refused when the object does not exist', () =>
    mustBeRefused(() => store.put(missingKey, 'created', { ifMatch: staleEtag, signal }), missingKey, undefined),
  );
  const updateAllowed = await check('conditional-update-applies', 'Compare-and-swap succeeds with the current ETag', async () => {
    const current = await read(key);
    if (current === undefined) return { pass: false, detail: 'the subject object disappeared' };
    const swapped = await mustApply(() => store.put(key, 'v2', { ifMatch: current.etag, signal }), key, 'v2');
    if (!swapped.applied) return { pass: false, detail: `the swap with the current ETag failed with ${describe(swapped.error)}`, failure: failureOf(swapped.error) };
    const stored = await read(key);
    if (stored === undefined || bytesToText(stored.body) !== 'v2') return { pass: false, detail: 'the swap reported success but was not applied' };
    if (swapped.settled) return { pass: true, detail: 'swapped (the reply was lost; the re-read shows it applied)' };
    return stored.etag === swapped.etag
      ? { pass: true, detail: 'swapped; the returned ETag matches the stored one' }
      : { pass: false, detail: `the returned ETag ${swapped.etag} differs from the stored ${stored.etag}` };
  });

  const conditionalDelete = await check('conditional-delete-enforced', 'Delete with a stale If-Match is refused', async () => {
    if (!store.capabilities.conditionalDelete) return 'skip';
    return mustBeRefused(() => store.delete(key, { ifMatch: staleEtag, signal }), key, 'v2');
  });

  const listAfterWrite = await check('list-after-write', 'A written object appears in a listing', async () => {
    const page = await retried(() => store.list({ prefix: `${base}/`, signal }));
    const keys = page.entries.map((entry) => entry.key);
    return keys.includes(key) && keys.includes(freshKey)
      ? { pass: true, detail: `listed ${keys.length} objects` }
      : { pass: false, detail: `listing shows ${JSON.stringify(keys)}` };
  });

  await check(
    'cleanup',
    'The probe deletes its scratch objects',
    async () => {
      for (const scratch of [key, freshKey, missingKey]) await retried(() => store.delete(scratch, { signal }));
      const remaining = await read(key);
      return remaining === undefined ? { pass: true, detail: 'deleted' } : { pass: false, detail: 'a deleted object is still readable' };
    },
    true,
  );

  const conditionalCreate = createRefused && createAllowed;
  const conditionalUpdate = updateRefused && missingRefused && updateAllowed;
  return {
    store: store.description,
    safe: readAfterWrite && conditionalCreate && conditionalUpdate,
    observed: {
      readAfterWrite,
      conditionalCreate,
      conditionalUpdate,
      conditionalDelete: store.capabilities.conditionalDelete ? conditionalDelete : undefined,
      listAfterWrite,
    },
    checks,
  };
}

/**
 * Whether a report is `safe`, `unsafe`, or `inconclusive`: a check could not finish for transient
 * errors and none of the checks leases depend on failed. Inconclusive is no verdict on the store —
 * check connectivity and probe again.
 */
export function probeOutcome(report: Pick<ProbeReport, 'safe' | 'checks'>): ProbeOutcome {
  if (report.safe) return 'safe';
  const leaseCheckFailed = report.checks.some((check) => LEASE_CHECK_IDS.has(check.id) && check.outcome === 'fail');
  return !leaseCheckFailed && report.checks.some((check) => check.outcome === 'inconclusive') ? 'inconclusive' : 'unsafe';
}

function failureOf(error: unknown): ProbeCheckFailure | undefined {
  return isStorageError(error) ? { code: error.code, operation: error.operation, ...(error.key === undefined ? {} : { key: error.key }) } : undefined;
}

function describe(error: unknown): string {
  if (isStorageError(error)) return `${error.code} (${error.message})`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
