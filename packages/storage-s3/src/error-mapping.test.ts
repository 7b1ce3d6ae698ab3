import {
  AccessDeniedError,
  NotFoundError,
  OutcomeUnknownError,
  PreconditionFailedError,
  StorageUnavailableError,
  StoreConfigurationError,
  UnsupportedOperationError,
} from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { AttemptTimeoutError, type FailedCall, mapS3Error, requiredPermission } from './error-mapping';

/** An error shaped like the SDK's: the S3 code as name and `Code`, the status in `$metadata`. */
function sdkError(status: number, code: string): Error {
  return Object.assign(new Error('UnknownError'), { name: code, Code: code, $metadata: { httpStatusCode: status } });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
}

const base = { key: 'jobs/1', store: 's3://bucket/app/ (http://127.0.0.1:9)', bucket: 'bucket', prefix: 'app/' };
const conditionalPut: FailedCall = { ...base, operation: 'put', conditional: true };
const plainPut: FailedCall = { ...base, operation: 'put', conditional: false };
const read: FailedCall = { ...base, operation: 'get', conditional: false };

describe('mapS3Error', () => {
  it.each([
    ['412 on a conditional write', sdkError(412, 'PreconditionFailed'), conditionalPut, PreconditionFailedError],
    ['404 NoSuchKey on If-Match (AWS)', sdkError(404, 'NoSuchKey'), conditionalPut, PreconditionFailedError],
    ['500 on a conditional write (RGW race loser)', sdkError(500, 'UnknownError'), conditionalPut, OutcomeUnknownError],
    ['409 on a conditional write', sdkError(409, 'ConditionalRequestConflict'), conditionalPut, OutcomeUnknownError],
    ['503 SlowDown on a conditional write', sdkError(503, 'SlowDown'), conditionalPut, OutcomeUnknownError],
    ['a timeout on a conditional write', new AttemptTimeoutError(100), conditionalPut, OutcomeUnknownError],
    ['a reset connection on a conditional write', networkError('ECONNRESET'), conditionalPut, OutcomeUnknownError],
    ['a refused connection on a conditional write (never sent)', networkError('ECONNREFUSED'), conditionalPut, StorageUnavailableError],
    ['an unknown host', networkError('ENOTFOUND'), read, StorageUnavailableError],
    ['503 SlowDown on a read', sdkError(503, 'SlowDown'), read, StorageUnavailableError],
    ['400 RequestTimeout on an unconditional write', sdkError(400, 'RequestTimeout'), plainPut, StorageUnavailableError],
    ['429 on a read', sdkError(429, 'TooManyRequests'), read, StorageUnavailableError],
    ['a timeout on a read', new AttemptTimeoutError(100), read, StorageUnavailableError],
    ['NoSuchBucket', sdkError(404, 'NoSuchBucket'), read, NotFoundError],
    ['NoSuchBucket on a conditional write', sdkError(404, 'NoSuchBucket'), conditionalPut, NotFoundError],
    ['403 AccessDenied', sdkError(403, 'AccessDenied'), read, AccessDeniedError],
    ['403 InvalidAccessKeyId', sdkError(403, 'InvalidAccessKeyId'), conditionalPut, AccessDeniedError],
    ['403 SignatureDoesNotMatch', sdkError(403, 'SignatureDoesNotMatch'), read, AccessDeniedError],
    ['301 PermanentRedirect', sdkError(301, 'PermanentRedirect'), read, StoreConfigurationError],
    ['400 AuthorizationHeaderMalformed (wrong region)', sdkError(400, 'AuthorizationHeaderMalformed'), read, StoreConfigurationError],
    ['501 NotImplemented', sdkError(501, 'NotImplemented'), conditionalPut, UnsupportedOperationError],
    ['an unexpected 400', sdkError(400, 'InvalidArgument'), plainPut, StoreConfigurationError],
  ])('maps %s', (_description, error, call, expected) => {
    const mapped = mapS3Error(error, call);
    expect(mapped).toBeInstanceOf(expected);
  });

  it('marks unavailability retryable and access denial not', () => {
    expect(mapS3Error(sdkError(503, 'SlowDown'), read).retryable).toBe(true);
    expect(mapS3Error(sdkError(403, 'AccessDenied'), read).retryable).toBe(false);
    expect(mapS3Error(sdkError(412, 'PreconditionFailed'), conditionalPut).retryable).toBe(false);
  });

  it('keeps the operation, key, store and cause', () => {
    const cause = sdkError(500, 'InternalError');
    const mapped = mapS3Error(cause, conditionalPut);
    expect(mapped.operation).toBe('put');
    expect(mapped.key).toBe('jobs/1');
    expect(mapped.store).toBe(base.store);
    expect(mapped.cause).toBe(cause);
  });

  it('says what to do with missing credentials', () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const mapped = mapS3Error(error, read);
    expect(mapped).toBeInstanceOf(StoreConfigurationError);
    expect(mapped.message).toContain('ACCESS:SECRET');
  });
});

describe('requiredPermission', () => {
  it('names the action and resource per operation', () => {
    expect(requiredPermission({ operation: 'put', bucket: 'b', prefix: 'p/' })).toEqual({ action: 's3:PutObject', resource: 'arn:aws:s3:::b/p/*' });
    expect(requiredPermission({ operation: 'get', bucket: 'b', prefix: '' })).toEqual({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/*' });
    expect(requiredPermission({ operation: 'delete', bucket: 'b', prefix: 'p/' }).action).toBe('s3:DeleteObject');
    expect(requiredPermission({ operation: 'list', bucket: 'b', prefix: 'p/' })).toEqual({
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::b (condition s3:prefix like "p/*")',
    });
  });
});
