import {
  AccessDeniedError,
  NotFoundError,
  OutcomeUnknownError,
  PreconditionFailedError,
  type StorageError,
  type StorageErrorContext,
  StorageUnavailableError,
  StoreConfigurationError,
  UnsupportedOperationError,
} from '@baton/storage';

/** What {@link mapS3Error} needs to know about the call that failed. */
export interface FailedCall extends StorageErrorContext {
  /** The bucket the store uses, for messages. */
  bucket: string;
  /** The store's key prefix, for the resource an IAM policy must allow. */
  prefix: string;
  /**
   * Whether the request carried a precondition (If-Match / If-None-Match). Such a request is never
   * retried, and a reply that does not say "not applied" makes its outcome unknown.
   */
  conditional: boolean;
}

/** Thrown inside an attempt whose own time budget (`requestTimeoutMs`) ran out. */
export class AttemptTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`No complete reply within ${timeoutMs} ms (requestTimeoutMs)`);
    this.name = 'AttemptTimeoutError';
  }
}

// Failures before the request left this host: nothing can have been applied, whatever it was.
const NOT_SENT_ERROR_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

// S3 codes that mean "slow down" or "try again" whatever the HTTP status.
const TRANSIENT_S3_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'OperationAborted',
]);

// S3 codes that say the endpoint or region in the configuration is wrong.
const WRONG_REGION_CODES = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException', 'Redirect']);

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $fault?: unknown;
}

/** The S3 error code of an SDK error (`NoSuchBucket`, `SlowDown`, ...), or `undefined` for a network error. */
export function s3ErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shape = error as SdkErrorShape;
  if (typeof shape.Code === 'string') return shape.Code;
  // Modelled S3 errors carry their code as the class name; unmodelled ones as `Code` (above).
  if (httpStatus(error) !== undefined && typeof shape.name === 'string') return shape.name;
  return undefined;
}

/** The HTTP status of the reply an SDK error came from, or `undefined` when there was no reply. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as SdkErrorShape).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Translates an error from the S3 SDK (or the network under it) into the typed error the
 * `ObjectStore` contract promises. The rules, most specific first:
 *
 * - 412, or 404 on a conditional request (AWS answers `If-Match` on a missing key with 404, RGW
 *   with 412): the precondition failed, nothing was written;
 * - 409 or 5xx on a conditional request: the outcome is unknown (RGW answers some lost races with
 *   500 or 409, and a 5xx may come after the write was applied); never a win, never a loss;
 * - 403: access denied, naming the IAM action to allow;
 * - `NoSuchBucket`: not found, naming the bucket to create;
 * - throttling, 5xx, timeouts and network errors: unavailable (retryable) for idempotent calls,
 *   outcome unknown for conditional writes, except when the request never left this host.
 */
export function mapS3Error(error: unknown, call: FailedCall): StorageError {
  const context: StorageErrorContext = { operation: call.operation, key: call.key, store: call.store, cause: error };
  const status = httpStatus(error);
  const code = s3ErrorCode(error);

  if (status === undefined) return mapNetworkError(error, call, context);

  if (status === 412 || code === 'PreconditionFailed') {
    if (call.conditional) return new PreconditionFailedError(context);
    return unknownOrUnavailable(call, context, `an unexpected 412 ${code ?? ''}`.trimEnd());
  }
  if (code === 'NoSuchBucket') {
    return new NotFoundError(
      `The bucket ${JSON.stringify(call.bucket)} does not exist: create it, or fix the bucket name (and endpoint) in the connection string`,
      context,
    );
  }
  if (status === 404 && call.conditional) return new PreconditionFailedError(context);
  if (status === 403) return accessDenied(code, call, context);
  if (status === 301 || (code !== undefined && WRONG_REGION_CODES.has(code))) {
    return new StoreConfigurationError(
      `The bucket ${JSON.stringify(call.bucket)} is not served at this endpoint or region (${status} ${code ?? ''}): set the bucket's region (region=…) or the right endpoint in the connection string`,
      error,
    );
  }
  if (status === 501 || code === 'NotImplemented') {
    return new UnsupportedOperationError(
      `The store does not implement this ${call.operation} (501 ${code ?? 'NotImplemented'}); conditional writes need AWS S3, Ceph RGW 16+, MinIO or another store that enforces If-Match / If-None-Match`,
      context,
    );
  }
  if (status === 409) {
    if (call.conditional) return new OutcomeUnknownError(context);
    return new StorageUnavailableError(`The store reported a conflicting operation in progress (409 ${code ?? ''}); retry`, context);
  }
  if (status >= 500 || status === 429 || (code !== undefined && TRANSIENT_S3_CODES.has(code))) {
    return unknownOrUnavailable(call, context, `${status} ${code ?? ''}`.trimEnd());
  }
  if (status === 404) {
    return new NotFoundError(
      `The endpoint answered 404 without an S3 error code: check that the endpoint is an S3 service and whether it needs forcePathStyle=true`,
      context,
    );
  }
  return new StoreConfigurationError(
    `The store rejected ${call.operation}${call.key === undefined ? '' : ` of ${JSON.stringify(call.key)}`} on ${call.store ?? 'S3'} with ${status} ${code ?? ''}: ${describe(error)}. ` +
      'Check the endpoint, region and bucket in the connection string; an S3-compatible store may lack a feature baton needs',
    error,
  );
}

function mapNetworkError(error: unknown, call: FailedCall, context: StorageErrorContext): StorageError {
  const name = typeof error === 'object' && error !== null ? (error as SdkErrorShape).name : undefined;
  if (name === 'CredentialsProviderError') {
    return new StoreConfigurationError(
      `No S3 credentials were found for ${call.store ?? 'the store'}: put ACCESS:SECRET in the connection string, or configure the AWS default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, or an instance role)`,
      error,
    );
  }
  const errorCode = networkErrorCode(error);
  if (errorCode !== undefined && NOT_SENT_ERROR_CODES.has(errorCode)) {
    // The request never reached the store, so even a conditional write certainly did not happen.
    return new StorageUnavailableError(`Cannot reach the store (${errorCode}): check the endpoint and that the service is running`, context);
  }
  const what = error instanceof AttemptTimeoutError ? error.message : `${errorCode ?? 'network error'}: ${describe(error)}`;
  return unknownOrUnavailable(call, context, what);
}

function unknownOrUnavailable(call: FailedCall, context: StorageErrorContext, what: string): StorageError {
  if (call.conditional) return new OutcomeUnknownError(context);
  return new StorageUnavailableError(`The store is unavailable or asked to slow down (${what}); retry later`, context);
}

function accessDenied(code: string | undefined, call: FailedCall, context: StorageErrorContext): StorageError {
  switch (code) {
    case 'InvalidAccessKeyId':
      return new AccessDeniedError('The store does not know this access key ID: check the credentials (ACCESS:SECRET in the connection string)', context);
    case 'SignatureDoesNotMatch':
      return new AccessDeniedError(
        'The secret key does not match the access key: check the credentials (percent-encode special characters in the connection string)',
        context,
      );
    case 'RequestTimeTooSkewed':
      return new AccessDeniedError("The store rejected the request's time: this host's clock is off by more than 15 minutes; sync it (NTP)", context);
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
      return new AccessDeniedError('The session token has expired: refresh the credentials', context);
    default: {
      const { action, resource } = requiredPermission(call);
      return new AccessDeniedError(`Access denied (403 ${code ?? ''}): allow ${action} on ${resource} for these credentials`, context);
    }
  }
}

/** The IAM action and resource an operation needs, for access-denied messages. */
export function requiredPermission(call: Pick<FailedCall, 'operation' | 'bucket' | 'prefix'>): { action: string; resource: string } {
  const objects = `arn:aws:s3:::${call.bucket}/${call.prefix}*`;
  switch (call.operation) {
    case 'get':
      return { action: 's3:GetObject', resource: objects };
    case 'put':
      return { action: 's3:PutObject', resource: objects };
    case 'delete':
      return { action: 's3:DeleteObject', resource: objects };
    case 'list':
    case 'connect':
      return {
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${call.bucket}${call.prefix === '' ? '' : ` (condition s3:prefix like "${call.prefix}*")`}`,
      };
  }
}

function networkErrorCode(error: unknown): string | undefined {
  // Node puts the errno name on `code`; the SDK sometimes wraps it one level down.
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message === '' || error.message === 'UnknownError' ? error.name : error.message;
  return String(error);
}
