import { randomBytes } from 'node:crypto';
import { bytesToText, toBytes } from './body';
import { contentEtag } from './etag';
import { isStorageError } from './errors';
import type { ObjectStore } from './object-store';

/** Options for {@link probeStorage}. */
export interface ProbeOptions {
  /** Where the probe writes its scratch objects (removed afterwards). Default `.baton-probe/`. */
  keyPrefix?: string;
  /** Aborts the probe. */
  signal?: AbortSignal;
}

/** One check of a probe. */
export interface ProbeCheck {
  /** Stable identifier, e.g. `conditional-create-enforced`. */
  id: string;
  /** What was checked, in words. */
  description: string;
  /** `pass`, `fail`, or `skip` (not applicable to this store). */
  outcome: 'pass' | 'fail' | 'skip';
  /** What was observed. */
  detail: string;
  /** Time the check took, in milliseconds. */
  durationMs: number;
}

/** The result of {@link probeStorage}. */
export interface ProbeReport {
  /** The store's description. */
  store: string;
  /**
   * True when the store can be trusted with leases: writes are read back, and both conditional
   * writes are enforced. When false, do not run a coordinator on it.
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

type Verdict = { pass: boolean; detail: string } | 'skip';

/**
 * Checks a live store for what leases depend on: that a write is read back, and that
 * create-if-absent and compare-and-swap are *enforced*. Several S3-compatible stores accept the
 * `If-None-Match` / `If-Match` headers and then ignore them, which turns every lease into a
 * split brain; this probe catches that by trying writes that must be refused.
 *
 * It writes a few small objects under `keyPrefix` and deletes them. It never throws for what it
 * finds (failures are in the report); it throws only when aborted.
 */
export async function probeStorage(store: ObjectStore, options: ProbeOptions = {}): Promise<ProbeReport> {
  const signal = options.signal;
  const base = `${options.keyPrefix ?? '.baton-probe/'}${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const key = `${base}/subject`;
  const freshKey = `${base}/fresh`;
  const missingKey = `${base}/never-written`;
  const checks: ProbeCheck[] = [];

  async function check(id: string, description: string, run: () => Promise<Verdict>): Promise<boolean> {
    const started = performance.now();
    let verdict: Verdict;
    try {
      verdict = await run();
    } catch (error) {
      signal?.throwIfAborted();
      verdict = { pass: false, detail: `unexpected error: ${(error as Error).message}` };
    }
    const durationMs = Math.round(performance.now() - started);
    if (verdict === 'skip') {
      checks.push({ id, description, outcome: 'skip', detail: 'not claimed by the store', durationMs });
      return false;
    }
    checks.push({ id, description, outcome: verdict.pass ? 'pass' : 'fail', detail: verdict.detail, durationMs });
    return verdict.pass;
  }

  /** Runs a write that must be refused; passes only on a precondition failure that left `expected` in place. */
  async function mustBeRefused(write: () => Promise<unknown>, readKey: string, expected: string | undefined): Promise<Verdict> {
    try {
      await write();
      return { pass: false, detail: 'the store accepted a write whose condition was false: it ignores conditional headers' };
    } catch (error) {
      const stored = await store.get(readKey, { signal });
      const storedText = stored === undefined ? undefined : bytesToText(stored.body);
      if (storedText !== expected) {
        return { pass: false, detail: `the write reported ${describe(error)} but was applied anyway` };
      }
      if (isStorageError(error, 'PRECONDITION_FAILED')) return { pass: true, detail: 'refused with a precondition failure' };
      if (isStorageError(error, 'OUTCOME_UNKNOWN')) return { pass: true, detail: 'refused (reported as outcome unknown; re-read shows no change)' };
      return { pass: false, detail: `failed with ${describe(error)} instead of a precondition failure` };
    }
  }

  const readAfterWrite = await check('read-after-write', 'A written object is read back at once', async () => {
    await store.put(key, 'v1', { signal });
    const read = await store.get(key, { signal });
    if (read === undefined) return { pass: false, detail: 'the object was not found right after it was written' };
    return bytesToText(read.body) === 'v1'
      ? { pass: true, detail: 'read back the written bytes' }
      : { pass: false, detail: 'read back different bytes' };
  });

  const createRefused = await check('conditional-create-enforced', 'Create-if-absent (If-None-Match: *) is refused when the object exists', () =>
    mustBeRefused(() => store.put(key, 'overwritten', { ifNoneMatch: '*', signal }), key, 'v1'),
  );
  const createAllowed = await check('conditional-create-applies', 'Create-if-absent succeeds when the object is absent', async () => {
    await store.put(freshKey, 'created', { ifNoneMatch: '*', signal });
    const read = await store.get(freshKey, { signal });
    return read !== undefined && bytesToText(read.body) === 'created'
      ? { pass: true, detail: 'created' }
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
    const current = await store.get(key, { signal });
    if (current === undefined) return { pass: false, detail: 'the subject object disappeared' };
    const { etag } = await store.put(key, 'v2', { ifMatch: current.etag, signal });
    const read = await store.get(key, { signal });
    if (read === undefined || bytesToText(read.body) !== 'v2') return { pass: false, detail: 'the swap reported success but was not applied' };
    return read.etag === etag
      ? { pass: true, detail: 'swapped; the returned ETag matches the stored one' }
      : { pass: false, detail: `the returned ETag ${etag} differs from the stored ${read.etag}` };
  });

  const conditionalDelete = await check('conditional-delete-enforced', 'Delete with a stale If-Match is refused', async () => {
    if (!store.capabilities.conditionalDelete) return 'skip';
    return mustBeRefused(() => store.delete(key, { ifMatch: staleEtag, signal }), key, 'v2');
  });

  const listAfterWrite = await check('list-after-write', 'A written object appears in a listing', async () => {
    const page = await store.list({ prefix: `${base}/`, signal });
    const keys = page.entries.map((entry) => entry.key);
    return keys.includes(key) && keys.includes(freshKey)
      ? { pass: true, detail: `listed ${keys.length} objects` }
      : { pass: false, detail: `listing shows ${JSON.stringify(keys)}` };
  });

  await check('cleanup', 'The probe deletes its scratch objects', async () => {
    for (const scratch of [key, freshKey, missingKey]) await store.delete(scratch, { signal });
    const remaining = await store.get(key, { signal });
    return remaining === undefined ? { pass: true, detail: 'deleted' } : { pass: false, detail: 'a deleted object is still readable' };
  });

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

function describe(error: unknown): string {
  if (isStorageError(error)) return `${error.code} (${error.message})`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
