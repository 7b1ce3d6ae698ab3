import type { UnreadableObject, UnreadableObjectScan } from '@baton/plugin';
import { bytesToText, listPages, type ObjectStore } from '@baton/storage';
import { CorruptRecordError } from './errors';
import { isUsableKey, parseFinishedJobs } from './finished-journal';
import { parseJobRecord } from './job-record';
import { QueueKeys } from './queue-keys';
import { assertQueueName } from './queue-options';

/** The kinds of object {@link findUnreadableQueueObjects} reports. */
export type UnreadableQueueObjectKind = 'jobRecords' | 'markers' | 'journal';

/** Options for {@link findUnreadableQueueObjects}. */
export interface UnreadableQueueObjectOptions {
  /** At most this many keys are examined (job records are read). Default 2000. */
  maxKeys?: number;
  /** Aborts the scan. */
  signal?: AbortSignal;
}

/**
 * Scans queue `name`'s folder for what the queue sets aside, judged by the queue's own rules
 * (`parseJobRecord`, the marker names and the completion journal's format), for `baton doctor`:
 *
 * - `jobRecords`: objects under `jobs/` that are not job records (garbage, wrong types, a
 *   `leaderEpoch` outside the epoch domain) or not under a `<id>.json` key. Workers skip them and
 *   delete their markers; they stay until someone deletes or repairs them.
 * - `markers`: keys under `ready/`, `delayed/` or `dead/` that are not marker names this queue
 *   writes (deleted as stale by whoever meets them), or that the store's key rules refuse.
 * - `journal`: objects under `finished/` that are not completion journal objects (the leader's
 *   next sweep deletes them) or whose keys the store refuses (left in place for good).
 *
 * Reads every job record it lists: bounded by `maxKeys`. Never writes.
 *
 * @throws {InvalidQueueOptionsError} for an invalid queue name; storage errors as they come.
 */
export async function findUnreadableQueueObjects(store: ObjectStore, name: string, options: UnreadableQueueObjectOptions = {}): Promise<UnreadableObjectScan<UnreadableQueueObjectKind>> {
  assertQueueName(name);
  const keys = new QueueKeys(name);
  const maxKeys = options.maxKeys ?? 2000;
  const { signal } = options;
  const objects: Record<UnreadableQueueObjectKind, UnreadableObject[]> = { jobRecords: [], markers: [], journal: [] };
  let examined = 0;
  for await (const page of listPages(store, { prefix: keys.root, ...(signal === undefined ? {} : { signal }) })) {
    for (const entry of page.entries) {
      if (examined >= maxKeys) return { objects, examined, truncated: true };
      examined += 1;
      const { key } = entry;
      if (key.startsWith(keys.jobsPrefix)) {
        if (keys.jobIdFromKey(key) === undefined || key.slice(keys.jobsPrefix.length).includes('/')) {
          objects.jobRecords.push({ key, reason: 'not a job record key (jobs/<id>.json)' });
          continue;
        }
        const stored = await store.get(key, { signal });
        if (stored === undefined) continue; // purged since the listing
        try {
          parseJobRecord(key, stored.body);
        } catch (error) {
          if (!(error instanceof CorruptRecordError)) throw error;
          objects.jobRecords.push({ key, reason: error.reason, etag: stored.etag });
        }
      } else if (key.startsWith(keys.readyPrefix) || key.startsWith(keys.delayedPrefix) || key.startsWith(keys.deadPrefix)) {
        const problem = isUsableKey(key) ? keys.markerProblem(key) : 'a key the store refuses (left in place: remove it with the tool that wrote it)';
        if (problem !== undefined) objects.markers.push({ key, reason: problem });
      } else if (key.startsWith(keys.finishedPrefix)) {
        if (!isUsableKey(key)) {
          objects.journal.push({ key, reason: 'a foreign object under a key the store refuses (left in place: remove it with the tool that wrote it)' });
          continue;
        }
        const stored = await store.get(key, { signal });
        if (stored !== undefined && parseFinishedJobs(bytesToText(stored.body)) === undefined) {
          objects.journal.push({ key, reason: 'not a completion journal object (the leader deletes it at its next sweep)', etag: stored.etag });
        }
      }
    }
  }
  return { objects, examined, truncated: false };
}
