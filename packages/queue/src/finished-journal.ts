import { assertValidKey, bytesToText, deleteKeys, isStorageError, listPages, type ObjectStore } from '@baton/storage';
import type { QueueKeys } from './queue-keys';

/** A job a worker completed: the version of the record it wrote, and when. */
export interface FinishedJob {
  /** The job id. */
  id: string;
  /** The ETag of the completed record. */
  etag: string;
  /** Its `finishedAt` (wall-clock ms of the worker). */
  finishedAt: number;
}

const FORMAT = 'baton.queue.finished/1';

/**
 * The body of one journal object: the jobs a worker completed since its last one. The journal
 * spares the leader's sweep a read of each completed record written by another process: the
 * sweep must otherwise read every record that stops changing to tell a finished job from the
 * claim of a crashed worker. It is only a hint — a record not in it is read, as before.
 */
export function encodeFinishedJobs(jobs: readonly FinishedJob[]): string {
  return JSON.stringify({ format: FORMAT, jobs: jobs.map(({ id, etag, finishedAt }) => [id, etag, finishedAt]) });
}

/**
 * The journal's entries, read and then deleted by the leader. Objects that are not journal objects
 * (garbage, truncated) count as empty and are deleted with the rest; foreign objects whose keys
 * this package could not have written (a backslash, say) are left alone, each on its own, so that
 * they cannot stop the leader's sweep. Both are passed to `onForeign` (the caller reports them).
 */
export async function takeFinishedJobs(
  store: ObjectStore,
  keys: QueueKeys,
  signal: AbortSignal | undefined,
  onForeign: (key: string, reason: string) => void = () => undefined,
): Promise<FinishedJob[]> {
  const objectKeys: string[] = [];
  for await (const page of listPages(store, { prefix: keys.finishedPrefix, signal })) {
    for (const { key } of page.entries) {
      if (isUsableKey(key)) objectKeys.push(key);
      else onForeign(key, 'a foreign object in the completion journal, under a key the store refuses (left in place: remove it with the tool that wrote it)');
    }
  }
  const jobs: FinishedJob[] = [];
  for (const key of objectKeys) {
    const object = await store.get(key, { signal });
    if (object === undefined) continue;
    const entries = parseFinishedJobs(bytesToText(object.body));
    if (entries === undefined) onForeign(key, 'not a completion journal object (deleted with the journal)');
    jobs.push(...(entries ?? []));
  }
  await deleteKeys(store, objectKeys, { signal });
  return jobs;
}

/** Whether the store's key rules accept `key` (listings may show foreign keys they refuse). */
export function isUsableKey(key: string): boolean {
  try {
    assertValidKey(key, 'delete');
    return true;
  } catch (error) {
    if (isStorageError(error, 'INVALID_KEY')) return false;
    throw error;
  }
}

/** The entries of a journal object, or `undefined` when it is not one. */
export function parseFinishedJobs(body: string): FinishedJob[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { format, jobs } = parsed as { format?: unknown; jobs?: unknown };
  if (format !== FORMAT || !Array.isArray(jobs)) return undefined;
  return jobs.flatMap((entry: unknown) => {
    if (!Array.isArray(entry)) return [];
    const [id, etag, finishedAt] = entry as unknown[];
    return typeof id === 'string' && typeof etag === 'string' && typeof finishedAt === 'number' ? [{ id, etag, finishedAt }] : [];
  });
}
