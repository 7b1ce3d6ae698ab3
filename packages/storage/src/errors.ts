/** The storage operations errors refer to. */
export type StorageOperation = 'get' | 'put' | 'delete' | 'list' | 'connect';

/** A machine-readable error code, stable across releases. */
export type StorageErrorCode =
  | 'PRECONDITION_FAILED'
  | 'OUTCOME_UNKNOWN'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'ACCESS_DENIED'
  | 'INVALID_KEY'
  | 'UNSUPPORTED_OPERATION'
  | 'CONFIGURATION'
  | 'UNSAFE_STORE';

/** Where an error happened, for the message and for callers that log it. */
export interface StorageErrorContext {
  /** The operation that failed. */
  operation: StorageOperation;
  /** The key it was about, when there was one. */
  key?: string | undefined;
  /** The store's description (never with credentials). */
  store?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The base of every error a store throws. Branch on the subclass (`instanceof`) or on `code`:
 * both are stable. `retryable` says whether repeating the same call may succeed.
 */
export class StorageError extends Error {
  /** Stable machine-readable code. */
  readonly code: StorageErrorCode;
  /** The operation that failed. */
  readonly operation: StorageOperation;
  /** The key it was about, when there was one. */
  readonly key: string | undefined;
  /** The store's description. */
  readonly store: string | undefined;
  /** Whether repeating the same call may succeed. */
  readonly retryable: boolean;

  constructor(code: StorageErrorCode, message: string, context: StorageErrorContext, retryable = false) {
    super(`${message}${describeContext(context)}`, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.code = code;
    this.operation = context.operation;
    this.key = context.key;
    this.store = context.store;
    this.retryable = retryable;
  }
}

function describeContext(context: StorageErrorContext): string {
  const parts = [`operation: ${context.operation}`];
  if (context.key !== undefined) parts.push(`key: ${JSON.stringify(context.key)}`);
  if (context.store !== undefined) parts.push(`store: ${context.store}`);
  return ` (${parts.join(', ')})`;
}

/**
 * A conditional write or delete was rejected: the object exists (`ifNoneMatch: '*'`), or it is
 * missing or has another ETag (`ifMatch`). Nothing was written. Re-read to see the current state.
 */
export class PreconditionFailedError extends StorageError {
  constructor(context: StorageErrorContext) {
    super('PRECONDITION_FAILED', 'Precondition failed: the object changed since it was read; re-read it', context);
  }
}

/**
 * A conditional write may or may not have been applied (timeout, connection reset, 5xx, or 409
 * from S3-compatibles that report lost races that way). Never treat it as a win or a loss:
 * re-read the object and decide from what is stored.
 */
export class OutcomeUnknownError extends StorageError {
  constructor(context: StorageErrorContext) {
    super('OUTCOME_UNKNOWN', 'The write may or may not have been applied; re-read before deciding', context, true);
  }
}

/** The bucket, directory or object a call needs does not exist. */
export class NotFoundError extends StorageError {
  constructor(message: string, context: StorageErrorContext) {
    super('NOT_FOUND', message, context);
  }
}

/** The store could not be reached or asked to slow down. Retrying later may succeed. */
export class StorageUnavailableError extends StorageError {
  constructor(message: string, context: StorageErrorContext) {
    super('UNAVAILABLE', message, context, true);
  }
}

/** The credentials lack a permission. The message names the action to allow. */
export class AccessDeniedError extends StorageError {
  constructor(message: string, context: StorageErrorContext) {
    super('ACCESS_DENIED', message, context);
  }
}

/** A key that no backend may store: empty, too long, or able to escape its prefix or directory. */
export class InvalidKeyError extends StorageError {
  /** Why the key was rejected. */
  readonly reason: string;

  constructor(key: string, reason: string, operation: StorageOperation) {
    super('INVALID_KEY', `Invalid key: ${reason}`, { operation, key });
    this.reason = reason;
  }
}

/** The call needs a capability this store does not have (see `capabilities`). */
export class UnsupportedOperationError extends StorageError {
  constructor(message: string, context: StorageErrorContext) {
    super('UNSUPPORTED_OPERATION', message, context);
  }
}

/** A connection string or store option is wrong. The message names the part and the fix. */
export class StoreConfigurationError extends StorageError {
  constructor(message: string, cause?: unknown) {
    super('CONFIGURATION', message, { operation: 'connect', cause });
  }
}

/** The store accepted conditional writes but did not enforce them (see `probeStorage`). */
export class UnsafeStoreError extends StorageError {
  constructor(message: string, store: string) {
    super('UNSAFE_STORE', message, { operation: 'connect', store });
  }
}

/**
 * The probe of a store (`probeStorage`) could not finish: the store kept failing with transient
 * errors (timeouts, 5xx, throttling, unknown outcomes), so nothing is known about whether it
 * enforces conditional writes. Not a verdict on the store: check connectivity to it; a later
 * start probes again (a hub retries a few times before it falls back).
 */
export class ProbeInconclusiveError extends StorageUnavailableError {
  /** The checks that could not finish, with what each ran into. */
  readonly inconclusiveChecks: readonly { id: string; detail: string }[];

  constructor(store: string, inconclusiveChecks: readonly { id: string; detail: string }[]) {
    super(
      `The storage probe of ${store} could not finish (${inconclusiveChecks.map((check) => `${check.id}: ${check.detail}`).join('; ')}): ` +
        'the store kept failing with transient errors, so nothing is known about it yet. Check connectivity to the store (endpoint, network, throttling); a later start probes again, and a hub retries a few times before it falls back',
      { operation: 'connect', store },
    );
    this.inconclusiveChecks = inconclusiveChecks;
  }
}

/** Whether `error` is a {@link StorageError} with this code. Works across package copies. */
export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  if (error instanceof StorageError) return code === undefined || error.code === code;
  // Two installed copies of this package have two StorageError classes: fall back to the shape.
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; operation?: unknown; retryable?: unknown };
  return (
    typeof candidate.code === 'string' &&
    typeof candidate.operation === 'string' &&
    typeof candidate.retryable === 'boolean' &&
    (code === undefined || candidate.code === code)
  );
}

/**
 * Whether repeating the call that failed with `error` may succeed: a {@link StorageError} marked
 * `retryable` (unavailable, throttled, timed out, outcome unknown). Anything else — access
 * denied, a missing bucket, a bug — fails the same way again.
 */
export function isRetryableStorageError(error: unknown): error is StorageError {
  return isStorageError(error) && error.retryable;
}
