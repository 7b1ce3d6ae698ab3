import type { UnreadableObject, UnreadableObjectScan } from '@baton/plugin';
import { listPages, type ObjectStore } from '@baton/storage';
import { CorruptRecordError } from './errors';
import { decodeRecordKey, TTLKeys } from './ttl-keys';
import { assertCollectionName } from './ttl-options';
import { parseRecord } from './ttl-record';

/** The kinds of object {@link findUnreadableTTLObjects} reports. */
export type UnreadableTTLObjectKind = 'records' | 'markers';

/** Options for {@link findUnreadableTTLObjects}. */
export interface UnreadableTTLObjectOptions {
  /** At most this many keys are examined (records are read). Default 2000. */
  maxKeys?: number;
  /** Aborts the scan. */
  signal?: AbortSignal;
}

/**
 * Scans TTL collection `collection`'s folder for what the collection sets aside, judged by its own
 * rules (`parseRecord`, the record-key encoding and `TTLKeys.parseMarker`), for `baton doctor`:
 *
 * - `records`: objects under `records/` that are not records this version reads (garbage, wrong
 *   types, a `leaderEpoch` outside the epoch domain; the reason says when it is another version's
 *   format, which is not garbage) or whose key is not an encoded record key. The sweep deletes
 *   their due markers and keeps them; `get`, `touch` and `delete` throw `CorruptRecordError`.
 * - `markers`: objects under `due/` that are not due markers this package writes (a name that does
 *   not parse, or a sweep time outside its cohort): the sweep skips them and leaves them in place.
 *
 * Reads every record it lists: bounded by `maxKeys`. Never writes.
 *
 * @throws {InvalidTTLOptionsError} for an invalid collection name; storage errors as they come.
 */
export async function findUnreadableTTLObjects(store: ObjectStore, collection: string, options: UnreadableTTLObjectOptions = {}): Promise<UnreadableObjectScan<UnreadableTTLObjectKind>> {
  assertCollectionName(collection);
  const keys = new TTLKeys(collection);
  const maxKeys = options.maxKeys ?? 2000;
  const { signal } = options;
  const objects: Record<UnreadableTTLObjectKind, UnreadableObject[]> = { records: [], markers: [] };
  let examined = 0;
  for (const prefix of [keys.recordsPrefix, keys.duePrefix]) {
    for await (const page of listPages(store, { prefix, ...(signal === undefined ? {} : { signal }) })) {
      for (const { key } of page.entries) {
        if (examined >= maxKeys) return { objects, examined, truncated: true };
        examined += 1;
        if (prefix === keys.duePrefix) {
          if (keys.parseMarker(key) === undefined) objects.markers.push({ key, reason: 'not a due marker this package writes (<granularity>/<cohort start>/<sweep time>-<record key>/<marker id>, the sweep time inside its cohort)' });
          continue;
        }
        if (decodeRecordKey(key.slice(prefix.length)) === undefined) {
          objects.records.push({ key, reason: 'not an encoded record key' });
          continue;
        }
        const stored = await store.get(key, { signal });
        if (stored === undefined) continue; // removed since the listing
        try {
          parseRecord(key, stored.body, stored.etag);
        } catch (error) {
          if (!(error instanceof CorruptRecordError)) throw error;
          objects.records.push({ key, reason: error.reason, etag: stored.etag });
        }
      }
    }
  }
  return { objects, examined, truncated: false };
}
