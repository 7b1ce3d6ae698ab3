import { InvalidRecordKeyError } from './errors';
import { assertCollectionName } from './ttl-options';

/** How finely due markers are grouped into time cohorts. */
export type Granularity = 'minute' | 'hour' | 'day';

/** The cohort lengths, in ms. */
export const GRANULARITY_MS: Readonly<Record<Granularity, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Every granularity, each with its own lane of due markers. */
export const GRANULARITIES: readonly Granularity[] = ['minute', 'hour', 'day'];

/** The longest record key accepted, in UTF-8 bytes (before encoding). */
export const MAX_RECORD_KEY_BYTES = 256;

/** A due marker, parsed from its key. */
export interface DueMarker {
  /** The full key. */
  key: string;
  /** The lane it is in. */
  granularity: Granularity;
  /** When the sweeper should look at the record (wall ms). */
  sweepAt: number;
  /** The record key (decoded). */
  recordKey: string;
  /** The marker id the record must name for this marker to be current. */
  markerId: string;
}

const TIME_DIGITS = 15;
const MARKER_NAME = /^(\d{15})\/(\d{15})-([^/]+)\/([0-9a-z]+)$/;

/**
 * The storage layout of one collection, under `ttl/<collection>/`:
 *
 * | Key | What |
 * | --- | --- |
 * | `records/<encoded key>` | the record: value, expiresAt, state, marker id. The only truth. |
 * | `due/<granularity>/<cohortStart>/<sweepAt>-<encoded key>/<marker id>` | empty marker: look at the record at `sweepAt` |
 * | `archive/<encoded key>/<expiresAt>-<version>` | the `archive` strategy's copy of an expired record |
 *
 * One lane of markers per granularity: inside a lane, cohorts are disjoint and ordered, so key
 * order is `sweepAt` order and a sweep stops at the first marker not yet due. Times are wall ms,
 * zero-padded to 15 digits so that key order is numeric order.
 */
/**
 * The folder, under the store's prefix, that holds everything of TTL collection `collection`
 * (records, due markers, and archives unless `archivePrefix` points elsewhere): what an IAM policy
 * for the collection must cover.
 *
 * @throws {InvalidTTLOptionsError} when `collection` is not a valid collection name.
 */
export function ttlStoragePrefix(collection: string): string {
  assertCollectionName(collection);
  return new TTLKeys(collection).root;
}

export class TTLKeys {
  /** The collection's root prefix, ending in `/`. */
  readonly root: string;

  constructor(collection: string) {
    this.root = `ttl/${collection}/`;
  }

  /** Prefix of all records. */
  get recordsPrefix(): string {
    return `${this.root}records/`;
  }

  /** Prefix of all due markers. */
  get duePrefix(): string {
    return `${this.root}due/`;
  }

  /** Prefix of one granularity's lane of due markers. */
  lanePrefix(granularity: Granularity): string {
    return `${this.duePrefix}${granularity}/`;
  }

  /** The key of a record. */
  record(recordKey: string): string {
    return `${this.recordsPrefix}${encodeRecordKey(recordKey)}`;
  }

  /** The due marker telling the sweeper to look at `recordKey` at `sweepAt`. */
  marker(recordKey: string, granularity: Granularity, sweepAt: number, markerId: string): string {
    const cohortStart = Math.floor(sweepAt / GRANULARITY_MS[granularity]) * GRANULARITY_MS[granularity];
    return `${this.lanePrefix(granularity)}${padTime(cohortStart)}/${padTime(sweepAt)}-${encodeRecordKey(recordKey)}/${markerId}`;
  }

  /**
   * Parses a due marker key, or `undefined` for a key that is not one this package writes (it is
   * then left alone): a name that does not parse, or a sweep time outside its cohort — which
   * would break the lane's order the sweep relies on to stop at the first marker not yet due.
   */
  parseMarker(key: string): DueMarker | undefined {
    for (const granularity of GRANULARITIES) {
      const prefix = this.lanePrefix(granularity);
      if (!key.startsWith(prefix)) continue;
      const match = MARKER_NAME.exec(key.slice(prefix.length));
      if (match === null) return undefined;
      const [, cohortStart, sweepAt, encodedKey, markerId] = match as unknown as [string, string, string, string, string];
      const cohortLength = GRANULARITY_MS[granularity];
      if (Math.floor(Number(sweepAt) / cohortLength) * cohortLength !== Number(cohortStart)) return undefined;
      const recordKey = decodeRecordKey(encodedKey);
      return recordKey === undefined ? undefined : { key, granularity, sweepAt: Number(sweepAt), recordKey, markerId };
    }
    return undefined;
  }

  /** The archive copy of one version of a record. */
  archive(archivePrefix: string, recordKey: string, expiresAt: number, version: string): string {
    return `${archivePrefix}${encodeRecordKey(recordKey)}/${padTime(expiresAt)}-${version}`;
  }
}

/**
 * Checks a user's record key.
 *
 * @throws {InvalidRecordKeyError} when it is not a non-empty string of well-formed text of at most
 *   {@link MAX_RECORD_KEY_BYTES} UTF-8 bytes.
 */
export function assertValidRecordKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidRecordKeyError(key, `keys are strings, got ${typeof key}`);
  if (key.length === 0) throw new InvalidRecordKeyError(key, 'the key is empty');
  if (!key.isWellFormed()) throw new InvalidRecordKeyError(key, 'the key contains an unpaired UTF-16 surrogate, which has no UTF-8 form');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_RECORD_KEY_BYTES) throw new InvalidRecordKeyError(key, `the key is ${bytes} UTF-8 bytes; the limit is ${MAX_RECORD_KEY_BYTES}`);
}

/**
 * A record key as one store-key segment: percent-encoding of everything but `A-Z a-z 0-9 _ ~ -`
 * (so `/`, `.`, `..`, control characters and `%` can neither split nor escape the collection),
 * and ASCII only, so that the store's UTF-8 order is plain string order.
 */
export function encodeRecordKey(key: string): string {
  return encodeURIComponent(key).replace(/[!'()*.]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The inverse of {@link encodeRecordKey}, or `undefined` for text it cannot have produced. */
export function decodeRecordKey(encoded: string): string | undefined {
  try {
    const key = decodeURIComponent(encoded);
    return encodeRecordKey(key) === encoded ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Wall ms as 15 zero-padded digits: key order is then numeric order (until the year 33658). */
export function padTime(wallMs: number): string {
  return String(Math.max(0, Math.floor(wallMs))).padStart(TIME_DIGITS, '0');
}

/** The granularity a record with this much time left gets when none is configured. */
export function granularityFor(remainingMs: number): Granularity {
  if (remainingMs < 2 * GRANULARITY_MS.hour) return 'minute';
  if (remainingMs < 2 * GRANULARITY_MS.day) return 'hour';
  return 'day';
}
