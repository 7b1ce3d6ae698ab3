import { describeValue } from '@baton/plugin';

/** A machine-readable TTL error code, stable across releases. */
export type TTLErrorCode =
  | 'INVALID_RECORD_KEY'
  | 'INVALID_RECORD_VALUE'
  | 'RECORD_VALUE_TOO_LARGE'
  | 'INVALID_TTL_OPTIONS'
  | 'STALE_EPOCH'
  | 'CORRUPT_RECORD'
  | 'CORRUPT_MARKER';

/** The base of every error `@baton/ttl` throws itself. Branch on the subclass or on `code`. */
export class TTLError extends Error {
  /** Stable machine-readable code. */
  readonly code: TTLErrorCode;

  constructor(code: TTLErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** A record key cannot be used: empty, too long, or not well-formed text. Nothing was written. */
export class InvalidRecordKeyError extends TTLError {
  /** The key given. */
  readonly key: unknown;
  /** What is wrong with it. */
  readonly reason: string;

  constructor(key: unknown, reason: string) {
    super('INVALID_RECORD_KEY', `Invalid record key ${describeValue(key, 80)}: ${reason}. Nothing was written; use a non-empty string of well-formed text.`);
    this.key = key;
    this.reason = reason;
  }
}

/**
 * A record value is not plain JSON: a function, a BigInt, a cycle, `undefined`, a non-finite
 * number, a class instance... Nothing was written. Convert the value to plain JSON first.
 */
export class InvalidRecordValueError extends TTLError {
  /** Where in the value the problem is, as a JSON path (`$.items[2].callback`). */
  readonly path: string;
  /** What is wrong there. */
  readonly reason: string;

  constructor(path: string, reason: string) {
    super('INVALID_RECORD_VALUE', `Record value is not JSON-serialisable at ${path}: ${reason}. Nothing was written; pass plain JSON (objects, arrays, strings, finite numbers, booleans, null).`);
    this.path = path;
    this.reason = reason;
  }
}

/** The encoded value is larger than the limit. Nothing was written: store large payloads elsewhere and keep their key. */
export class RecordValueTooLargeError extends TTLError {
  /** The encoded size, in UTF-8 bytes. */
  readonly sizeBytes: number;
  /** The limit, in UTF-8 bytes. */
  readonly limitBytes: number;

  constructor(sizeBytes: number, limitBytes: number) {
    super('RECORD_VALUE_TOO_LARGE', `Record value is ${sizeBytes} bytes as JSON; the limit is ${limitBytes}. Nothing was written: put large payloads in object storage yourself and keep their key here.`);
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** An option (of the collection, of `set`/`touch`, or of a sweep) is invalid. Nothing was written. */
export class InvalidTTLOptionsError extends TTLError {
  /** The option's name. */
  readonly option: string;

  constructor(option: string, value: unknown, rule: string) {
    super('INVALID_TTL_OPTIONS', `Invalid TTL option ${option} (${describeValue(value, 80)}): ${rule}. Nothing was written.`);
    this.option = option;
  }
}

/** A sweep was called with an epoch older than one already seen: this caller is no longer the leader. */
export class StaleEpochError extends TTLError {
  /** The epoch the caller gave. */
  readonly epoch: number;
  /** The highest epoch seen. */
  readonly highestEpoch: number;

  constructor(epoch: number, highestEpoch: number) {
    super('STALE_EPOCH', `Sweep called with epoch ${epoch}, but epoch ${highestEpoch} has already acted on this collection: this process is no longer the leader. Stop sweeping until leadership is regained.`);
    this.epoch = epoch;
    this.highestEpoch = highestEpoch;
  }
}

/** A stored object cannot be read as a TTL record: written by hand, by a newer version, or corrupted. */
export class CorruptRecordError extends TTLError {
  /** The key of the object. */
  readonly key: string;
  /** The ETag of the version read, when known (a rewrite is a new object to judge). */
  readonly etag: string | undefined;
  /** Whether it is a record in another version's format (`baton.ttl/<n>`), rather than garbage. */
  readonly otherVersion: boolean;
  /** What is wrong with it (the validator's words, without the advice of the message). */
  readonly reason: string;

  constructor(key: string, reason: string, options: { etag?: string; otherVersion?: boolean } = {}) {
    super('CORRUPT_RECORD', `The object at ${JSON.stringify(key)} is not a TTL record this version can read: ${reason}. Inspect it; delete it if it is garbage.`);
    this.key = key;
    this.reason = reason;
    this.etag = options.etag;
    this.otherVersion = options.otherVersion ?? false;
  }
}

/**
 * An object in a lane of due markers that no version of baton writes (a name that does not parse,
 * or a sweep time outside its cohort). The sweep skips it and leaves it in place.
 */
export class CorruptMarkerError extends TTLError {
  /** The key of the object. */
  readonly key: string;
  /** What is wrong with it (without the advice of the message). */
  readonly reason: string;

  constructor(key: string, reason: string) {
    super('CORRUPT_MARKER', `The object at ${JSON.stringify(key)} is not a due marker this version wrote: ${reason}. The sweep skips it; delete it if nothing of yours wrote it.`);
    this.key = key;
    this.reason = reason;
  }
}
