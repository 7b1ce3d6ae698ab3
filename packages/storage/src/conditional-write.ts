import { bytesToText } from './body';
import { isStorageError, OutcomeUnknownError } from './errors';
import type { ObjectStore, StoredObject } from './object-store';

/** The precondition of a conditional write: create-if-absent, or compare-and-swap on an ETag. */
export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

/** How a conditional write ended, always settled: nothing is left "maybe". */
export type ConditionalWriteOutcome =
  /** The store holds exactly these bytes, under `etag`. */
  | { kind: 'written'; etag: string }
  /** The store refused the precondition (412): nothing was written. */
  | { kind: 'refused'; error: unknown }
  /**
   * The write failed or was aborted and the re-read shows other bytes (or none): it did not apply,
   * or it applied and was already overwritten — either way, it is not in effect. `error` is the
   * write's own error (an abort reason when the caller's signal ended it).
   */
  | { kind: 'not-applied'; error: unknown; current: StoredObject | undefined };

/** Options of {@link writeConditionally}. */
export interface ConditionalWriteOptions {
  /** Ends the write. An aborted write is settled by re-reading like any other failure. */
  signal?: AbortSignal | undefined;
  /**
   * Bounds the settling re-read. Never the write's own signal: that may be why the write ended.
   * Without it the re-read runs with the store's own timeouts.
   */
  rereadSignal?: AbortSignal | undefined;
  /**
   * Runs the settling re-read under a signal of the caller's making, created only when the re-read
   * starts (a fresh deadline, on the caller's injected timers). Takes the place of `rereadSignal`.
   */
  rereadWithin?: ((reread: (signal: AbortSignal) => Promise<StoredObject | undefined>) => Promise<StoredObject | undefined>) | undefined;
  /** Passed to the store's `put`. */
  contentType?: string | undefined;
}

/**
 * The one rule for conditional writes, used by every package: a refused precondition (412) is a
 * loss; **any other failure — a timeout, a 5xx, a 409, a reset connection, or an abort by the
 * caller's own signal — is an unknown outcome**, because the server may have applied the write
 * before the failure reached us (S3 and Ceph RGW do return 500 after committing; an aborted
 * request may already have been applied). It is settled by re-reading: the caller's exact bytes
 * mean the write is in effect. Callers make their bytes unique (a writer id, a counter), so
 * matching bytes cannot be somebody else's.
 *
 * @throws {OutcomeUnknownError} only when the settling re-read fails too: the write's outcome
 *   stays unknown, and the caller must treat it as possibly applied (re-read later).
 */
export async function writeConditionally(
  store: ObjectStore,
  key: string,
  body: string,
  condition: WriteCondition,
  options: ConditionalWriteOptions = {},
): Promise<ConditionalWriteOutcome> {
  try {
    const { etag } = await store.put(key, body, { ...condition, signal: options.signal, contentType: options.contentType });
    return { kind: 'written', etag };
  } catch (error) {
    if (isStorageError(error, 'PRECONDITION_FAILED')) return { kind: 'refused', error };
    let current: StoredObject | undefined;
    try {
      current = options.rereadWithin === undefined ? await store.get(key, { signal: options.rereadSignal }) : await options.rereadWithin((signal) => store.get(key, { signal }));
    } catch (rereadError) {
      throw new OutcomeUnknownError({ operation: 'put', key, cause: new AggregateError([error, rereadError], 'The write failed and the re-read that would settle it failed too') });
    }
    if (current !== undefined && bytesToText(current.body) === body) return { kind: 'written', etag: current.etag };
    return { kind: 'not-applied', error, current };
  }
}

/** Whether an error is an abort (the caller's signal, or a timeout signal), not a store failure. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
