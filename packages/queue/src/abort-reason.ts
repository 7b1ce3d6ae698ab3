import { isAbortError } from '@baton/storage';

/**
 * Whether a failed store call ended because the caller aborted it: an abort error, or — as on
 * S3, where an aborted call rejects with the signal's reason — whatever object the caller's
 * aborted signal carries as its reason.
 */
export function isAbortedBy(error: unknown, signal: AbortSignal | undefined): boolean {
  return isAbortError(error) || (signal?.aborted === true && error === signal.reason);
}
