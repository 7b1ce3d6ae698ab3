import { bytesToText, contentEtag, toBytes } from '@baton/storage';
import { isEpochInDomain, MAX_EPOCH } from '@baton/plugin';
import { CorruptRecordError } from './errors';
import type { JsonValue } from './json-value';
import { GRANULARITIES, type Granularity } from './ttl-keys';

/** The format tag written into every record. */
export const TTL_RECORD_FORMAT = 'baton.ttl/1';

// The prefix every version's record format shares: a record with another one is not garbage.
const TTL_FORMAT_FAMILY = 'baton.ttl/';

/**
 * Where a record is in its life:
 * - `live`: readable until `expiresAt` (when not null);
 * - `claimed`: the `callback` strategy is deciding its fate (`claim` says who);
 * - `soft-deleted`: expired and kept by the `soft-delete` strategy (or a callback); never readable;
 * - `tombstone`: being removed (`tombstone` says by whom). Writers wait for it to go (see README).
 */
export type RecordState = 'live' | 'claimed' | 'soft-deleted' | 'tombstone';

/**
 * The due marker that points at a record. Its id is the MD5 of the record's bytes as written
 * (the ETag S3, Ceph RGW and the bundled stores give a simple upload): the sweeper can then
 * remove an untouched expired record with `If-Match: <id>` without reading it first, and the
 * store itself refuses if the record changed. Records that are not the version the marker was
 * written for (a callback claim, a tombstone) carry the id explicitly.
 */
export interface MarkerReference {
  /** When the sweeper should look at the record (wall ms): `expiresAt`, or a callback retry time. */
  sweepAt: number;
  /** The lane the marker is in. */
  granularity: Granularity;
  /** The marker's id when it is not the MD5 of this record's bytes. */
  id?: string;
}

/** A callback claim. */
export interface ClaimRecord {
  /** A random token: whoever finds it in the record after an unknown write outcome won. */
  token: string;
  /** The sweeper's leadership epoch. */
  epoch: number;
  /** Wall ms of the claim (for people). */
  claimedAt: number;
  /** The attempt this claim is, from 1. */
  attempt: number;
}

/** Why a record is being removed. */
export interface TombstoneRecord {
  /** A random token (outcome settling, and a new ETag for every tombstone). */
  token: string;
  /** The remover's leadership epoch (0 for an explicit `delete`). */
  epoch: number;
  /** Wall ms (for people). */
  at: number;
  /** `expired` (a sweep) or `deleted` (an explicit `delete`). */
  reason: 'expired' | 'deleted';
  /** Whether the record is to be archived before it goes (its value is kept in the tombstone then). */
  archive: boolean;
  /**
   * The remover's delete window: it sends its unconditional DELETE only within this long (its
   * monotonic clock) of starting to write the tombstone, aborted at its end. Absent in tombstones
   * written before this field existed.
   */
  deleteBoundMs?: number;
  /**
   * How long every writer must observe this tombstone unchanged before it may overwrite it: the
   * remover's `tombstoneGraceMs` (> 2 × `deleteBoundMs`). Written here so that the rule holds
   * whatever grace the other processes are configured with (see {@link tombstoneWaitMs}).
   */
  graceMs?: number;
}

/**
 * How long a process whose own grace is `ownGraceMs` must observe `tombstone` unchanged before it
 * may overwrite it: the longer of its own grace and the grace written into the tombstone by its
 * remover — never only its own option, which says nothing about the remover's window.
 */
export function tombstoneWaitMs(tombstone: TombstoneRecord | null, ownGraceMs: number): number {
  const written = tombstone?.graceMs;
  return typeof written === 'number' && Number.isFinite(written) ? Math.max(ownGraceMs, written) : ownGraceMs;
}

/** The last callback failure, kept for retries. */
export interface CallbackFailure {
  /** Failed attempts so far. */
  attempts: number;
  /** The last error. */
  lastError: { name: string; message: string };
  /** When the next attempt is due (wall ms). */
  retryAt: number;
}

/** A record as stored at `records/<encoded key>`. */
export interface TTLRecord {
  format: typeof TTL_RECORD_FORMAT;
  /** The user's key. */
  key: string;
  /** The value. */
  value: JsonValue;
  /** Wall ms after which the record is expired; `null` once a callback decided to keep it for good. */
  expiresAt: number | null;
  state: RecordState;
  /** A random token per write: every write changes the bytes (and so the ETag), and identifies the writer. */
  version: string;
  /** The current due marker, or `null` when the sweeper has nothing more to do. */
  marker: MarkerReference | null;
  /** Wall ms of the write (for people). */
  updatedAt: number;
  /** The highest leadership epoch that acted on the record (fencing). */
  leaderEpoch: number;
  claim: ClaimRecord | null;
  tombstone: TombstoneRecord | null;
  failure: CallbackFailure | null;
}

/** Encodes a record as stored. */
export function encodeRecord(record: TTLRecord): string {
  return JSON.stringify(record);
}

/** The id of the marker pointing at a record stored as `body` (see {@link MarkerReference}). */
export function markerIdOf(record: TTLRecord, body: Uint8Array | string): string {
  return record.marker?.id ?? contentEtag(toBytes(body));
}

/**
 * Parses a stored record.
 *
 * @param etag the version read, carried by the error
 * @throws {CorruptRecordError} when the object is not a record of this format.
 */
export function parseRecord(key: string, body: Uint8Array, etag?: string): TTLRecord {
  const corrupt = (reason: string, otherVersion = false): CorruptRecordError => new CorruptRecordError(key, reason, { ...(etag === undefined ? {} : { etag }), otherVersion });
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytesToText(body));
  } catch (error) {
    throw corrupt(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw corrupt('not a JSON object');
  const record = parsed as Partial<TTLRecord>;
  const format: unknown = record.format;
  if (format !== TTL_RECORD_FORMAT) {
    const otherVersion = typeof format === 'string' && format.startsWith(TTL_FORMAT_FAMILY);
    throw corrupt(`format is ${JSON.stringify(format)}, expected ${TTL_RECORD_FORMAT}${otherVersion ? ' (written by another version of @baton/ttl)' : ''}`, otherVersion);
  }
  if (typeof record.key !== 'string') throw corrupt('key is missing');
  if (record.expiresAt !== null && typeof record.expiresAt !== 'number') throw corrupt('expiresAt is neither a number nor null');
  if (!['live', 'claimed', 'soft-deleted', 'tombstone'].includes(record.state as string)) throw corrupt(`unknown state ${JSON.stringify(record.state)}`);
  if (typeof record.version !== 'string') throw corrupt('version is missing');
  // An epoch no term can have would fence every real leader out of the collection: corrupt.
  if (record.leaderEpoch !== undefined && !isEpochInDomain(record.leaderEpoch)) throw corrupt(`leaderEpoch ${String(record.leaderEpoch)} is outside the epoch domain 0..${MAX_EPOCH}`);
  const marker = record.marker;
  if (marker !== null && (typeof marker !== 'object' || (marker.id !== undefined && typeof marker.id !== 'string') || typeof marker.sweepAt !== 'number' || !GRANULARITIES.includes(marker.granularity))) {
    throw corrupt('marker is malformed');
  }
  return { leaderEpoch: 0, claim: null, tombstone: null, failure: null, ...record } as TTLRecord;
}

/** Whether a reader at `now` (wall ms) may see the record: live and not expired. */
export function isVisible(record: TTLRecord, now: number): boolean {
  return record.state === 'live' && (record.expiresAt === null || record.expiresAt > now);
}
