import { S3Client } from '@aws-sdk/client-s3';
import {
  AccessDeniedError,
  isStorageError,
  NotFoundError,
  OutcomeUnknownError,
  PreconditionFailedError,
  StorageUnavailableError,
  StoreConfigurationError,
  UnsupportedOperationError,
} from '@baton/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Store, type S3StoreOptions } from './s3-store';
import { type FakeS3Server, s3Error, startFakeS3Server } from './test-support/fake-s3-server';

// Scripted failures that a real store cannot be made to produce on demand: these pin down which
// replies are retried, which become OutcomeUnknownError, and that conditional writes go out once.
describe('S3Store against a scripted S3 endpoint', () => {
  let server: FakeS3Server;
  const stores: S3Store[] = [];

  beforeAll(async () => {
    server = await startFakeS3Server();
  });
  afterAll(async () => {
    for (const store of stores) store.destroy();
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  function storeFor(options: Partial<S3StoreOptions> = {}): S3Store {
    const store = new S3Store({
      bucket: 'bucket',
      prefix: 'app',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      retryBaseDelayMs: 1,
      maxAttempts: 3,
      ...options,
    });
    stores.push(store);
    return store;
  }

  it('retries an idempotent call on 503 SlowDown up to maxAttempts, then reports StorageUnavailableError', async () => {
    server.reply(() => s3Error(503, 'SlowDown'));
    const store = storeFor({ maxAttempts: 4 });
    const error = await store.get('key').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as StorageUnavailableError).retryable).toBe(true);
    expect(server.requests).toHaveLength(4);
    expect(server.requests[0]?.url).toMatch(/^\/bucket\/app\/key/);
  });

  it('succeeds when a retry succeeds', async () => {
    let calls = 0;
    server.reply(() => {
      calls += 1;
      return calls === 1
        ? s3Error(500, 'InternalError')
        : { status: 200, headers: { etag: '"abc"', 'last-modified': new Date(0).toUTCString() }, body: 'hello' };
    });
    const read = await storeFor().get('key');
    expect(read?.etag).toBe('abc');
    expect(new TextDecoder().decode(read?.body)).toBe('hello');
    expect(server.requests).toHaveLength(2);
  });

  it('retries an unconditional put (idempotent) but sends a conditional put exactly once', async () => {
    server.reply(() => s3Error(503, 'SlowDown'));
    const store = storeFor({ maxAttempts: 3 });
    await expect(store.put('key', 'body')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(server.requests).toHaveLength(3);

    server.requests.length = 0;
    await expect(store.put('key', 'body', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(OutcomeUnknownError);
    await expect(store.put('key', 'body', { ifMatch: 'abc' })).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(server.requests).toHaveLength(2);
  });

  it('sends a conditional put once even through a caller-supplied client with SDK retries', async () => {
    server.reply(() => s3Error(503, 'SlowDown'));
    const client = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      maxAttempts: 5,
      retryMode: 'standard',
    });
    try {
      const store = new S3Store({ client, bucket: 'bucket', maxAttempts: 2, retryBaseDelayMs: 1 });
      await expect(store.put('key', 'body', { ifMatch: 'abc' })).rejects.toBeInstanceOf(OutcomeUnknownError);
      expect(server.requests).toHaveLength(1);
      server.requests.length = 0;
      // Idempotent calls: our maxAttempts (2), not the client's (5).
      await expect(store.get('key')).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(server.requests).toHaveLength(2);
    } finally {
      client.destroy();
    }
  });

  it.each([
    [500, 'InternalError'],
    [409, 'ConditionalRequestConflict'],
    [409, 'OperationAborted'],
    [503, 'ServiceUnavailable'],
  ])('maps %i %s on a conditional write to OutcomeUnknownError, never a win', async (status, code) => {
    server.reply(() => s3Error(status, code));
    await expect(storeFor().put('key', 'body', { ifMatch: 'abc' })).rejects.toBeInstanceOf(OutcomeUnknownError);
    await expect(storeFor().put('key', 'body', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(OutcomeUnknownError);
  });

  it('maps 404 NoSuchKey on If-Match (AWS) and 412 (RGW) to PreconditionFailedError', async () => {
    server.reply(() => s3Error(404, 'NoSuchKey'));
    await expect(storeFor().put('key', 'body', { ifMatch: 'abc' })).rejects.toBeInstanceOf(PreconditionFailedError);
    server.reply(() => s3Error(412, 'PreconditionFailed'));
    await expect(storeFor().put('key', 'body', { ifMatch: 'abc' })).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(storeFor().put('key', 'body', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  it('sends If-Match as the bare ETag even when given a quoted one', async () => {
    server.reply(() => ({ status: 200, headers: { etag: '"new"' } }));
    const result = await storeFor().put('key', 'body', { ifMatch: '"0123abc"' });
    expect(result.etag).toBe('new');
    expect(server.requests[0]?.headers['if-match']).toBe('0123abc');
    await storeFor().put('key', 'body', { ifNoneMatch: '*' });
    expect(server.requests[1]?.headers['if-none-match']).toBe('*');
  });

  it('maps a timed-out conditional write to OutcomeUnknownError, and a timed-out read to StorageUnavailableError after retries', async () => {
    server.reply(() => 'hang');
    const store = storeFor({ requestTimeoutMs: 150, maxAttempts: 2 });
    const started = Date.now();
    await expect(store.put('key', 'body', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(server.requests).toHaveLength(1);
    server.requests.length = 0;
    const error = await store.get('key').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toContain('150 ms');
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects with the signal reason when aborted mid-request, without retrying', async () => {
    server.reply(() => 'hang');
    const store = storeFor();
    for (const call of [
      (signal: AbortSignal) => store.get('key', { signal }),
      (signal: AbortSignal) => store.put('key', 'x', { signal }),
      (signal: AbortSignal) => store.put('key', 'x', { ifNoneMatch: '*', signal }),
      (signal: AbortSignal) => store.list({ prefix: '', signal }),
      (signal: AbortSignal) => store.delete('key', { signal }),
    ]) {
      server.requests.length = 0;
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      // Mid-request: abort once the server holds the request (a fixed delay is flaky on a busy machine).
      const abortOnArrival = setInterval(() => {
        if (server.requests.length > 0) controller.abort(reason);
      }, 5);
      try {
        await expect(call(controller.signal)).rejects.toBe(reason);
      } finally {
        clearInterval(abortOnArrival);
      }
      expect(server.requests).toHaveLength(1);
    }
  });

  it('stops waiting between retries when aborted', async () => {
    server.reply(() => s3Error(503, 'SlowDown'));
    const store = storeFor({ retryBaseDelayMs: 10_000, maxAttempts: 5 });
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 100);
    const started = Date.now();
    const error = await store.get('key', { signal: controller.signal }).catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it('maps 403 AccessDenied to AccessDeniedError naming the IAM action and resource', async () => {
    server.reply(() => s3Error(403, 'AccessDenied'));
    const store = storeFor();
    const cases: [() => Promise<unknown>, string][] = [
      [() => store.put('jobs/1', 'x', { ifNoneMatch: '*' }), 's3:PutObject on arn:aws:s3:::bucket/app/*'],
      [() => store.get('jobs/1'), 's3:GetObject on arn:aws:s3:::bucket/app/*'],
      [() => store.delete('jobs/1'), 's3:DeleteObject on arn:aws:s3:::bucket/app/*'],
      [() => store.list({ prefix: 'jobs/' }), 's3:ListBucket on arn:aws:s3:::bucket'],
    ];
    for (const [call, expected] of cases) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect((error as Error).message).toContain(expected);
      expect((error as AccessDeniedError).retryable).toBe(false);
    }
    // Not retried: access will not be granted by waiting.
    expect(server.requests).toHaveLength(4);
  });

  it('maps NoSuchBucket to NotFoundError saying to create the bucket, for every operation', async () => {
    server.reply(() => s3Error(404, 'NoSuchBucket'));
    const store = storeFor();
    const calls = [
      () => store.get('a'),
      () => store.put('a', 'x'),
      () => store.put('a', 'x', { ifMatch: 'e' }),
      () => store.delete('a'),
      () => store.list({ prefix: '' }),
    ];
    for (const call of calls) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toMatch(/bucket "bucket" does not exist: create it/);
    }
  });

  it('maps 501 NotImplemented on a conditional write to UnsupportedOperationError', async () => {
    server.reply(() => s3Error(501, 'NotImplemented'));
    await expect(storeFor().put('a', 'x', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(UnsupportedOperationError);
  });

  it('maps a wrong region (301 PermanentRedirect) to StoreConfigurationError', async () => {
    server.reply(() => s3Error(301, 'PermanentRedirect'));
    const error = await storeFor().get('a').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreConfigurationError);
    expect((error as Error).message).toContain('region');
  });

  it('treats a delete of a missing key as success, and reads a missing key as undefined', async () => {
    server.reply(() => s3Error(404, 'NoSuchKey'));
    await expect(storeFor().delete('missing')).resolves.toBeUndefined();
    await expect(storeFor().get('missing')).resolves.toBeUndefined();
  });

  it('with conditionalDelete: true, sends If-Match on DELETE and maps 412 to PreconditionFailedError', async () => {
    server.reply(() => s3Error(412, 'PreconditionFailed'));
    const store = storeFor({ conditionalDelete: true });
    expect(store.capabilities.conditionalDelete).toBe(true);
    await expect(store.delete('a', { ifMatch: '"etag"' })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(server.requests[0]?.method).toBe('DELETE');
    expect(server.requests[0]?.headers['if-match']).toBe('etag');
  });

  it('never sends a conditional delete to a store without conditionalDelete', async () => {
    server.reply(() => ({ status: 204 }));
    const error = await storeFor().delete('a', { ifMatch: 'etag' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedOperationError);
    expect(server.requests).toHaveLength(0);
  });

  it('maps a PUT reply without an ETag: OutcomeUnknownError for a conditional write', async () => {
    server.reply(() => ({ status: 200 }));
    await expect(storeFor().put('a', 'x', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(OutcomeUnknownError);
    await expect(storeFor().put('a', 'x')).rejects.toBeInstanceOf(StoreConfigurationError);
  });

  it('puts every error in the typed hierarchy with the store and key in context, never the credentials', async () => {
    server.reply(() => s3Error(500, 'InternalError'));
    const store = storeFor({ maxAttempts: 1, credentials: { accessKeyId: 'AKIDSECRETLOOKING', secretAccessKey: 'very-secret-value' } });
    const error = await store.get('some/key').catch((caught: unknown) => caught);
    expect(isStorageError(error, 'UNAVAILABLE')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('key: "some/key"');
    expect(message).toContain(`store: s3://bucket/app/ (${server.endpoint})`);
    expect(message).not.toContain('very-secret-value');
    expect(store.description).toBe(`s3://bucket/app/ (${server.endpoint})`);
  });
});

describe('S3Store without a reachable endpoint', () => {
  it('reports StorageUnavailableError quickly when nothing listens (even for a conditional write)', async () => {
    // A port that was free a moment ago: connection refused.
    const server = await startFakeS3Server();
    const endpoint = server.endpoint;
    await server.close();
    const store = new S3Store({ bucket: 'bucket', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestTimeoutMs: 1_000, retryBaseDelayMs: 1 });
    const started = Date.now();
    await expect(store.get('key')).rejects.toBeInstanceOf(StorageUnavailableError);
    // Refused before anything was sent: certainly not applied, so not "outcome unknown".
    await expect(store.put('key', 'x', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(Date.now() - started).toBeLessThan(3_000);
    store.destroy();
  });
});

describe('S3Store options', () => {
  it('rejects invalid options with StoreConfigurationError naming the option', () => {
    expect(() => new S3Store({ bucket: '' })).toThrow(StoreConfigurationError);
    expect(() => new S3Store({ bucket: 'b', prefix: '../x' })).toThrow(/prefix/);
    expect(() => new S3Store({ bucket: 'b', requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/);
    expect(() => new S3Store({ bucket: 'b', maxAttempts: 0 })).toThrow(/maxAttempts/);
  });

  it('reports its capabilities: conditional create and update, no conditional delete unless told', () => {
    const store = new S3Store({ bucket: 'b', region: 'eu-west-1' });
    expect(store.capabilities).toEqual({
      conditionalCreate: true,
      conditionalUpdate: true,
      conditionalDelete: false,
      readAfterWrite: true,
      maxListLimit: 1000,
    });
    expect(store.description).toBe('s3://b/ (AWS S3 eu-west-1)');
    expect(new S3Store({ bucket: 'b', prefix: 'x/y', endpoint: 'http://user:pw@host:1' }).description).toBe('s3://b/x/y/ (http://host:1)');
    store.destroy();
  });

  it('validates keys, prefixes, preconditions and limits before sending anything', async () => {
    const store = new S3Store({ bucket: 'b', endpoint: 'http://127.0.0.1:9', forcePathStyle: true });
    await expect(store.get('../x')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.put('a', 'x', { ifMatch: 'e', ifNoneMatch: '*' })).rejects.toBeInstanceOf(TypeError);
    await expect(store.list({ prefix: '', limit: 0 })).rejects.toBeInstanceOf(TypeError);
    await expect(store.list({ prefix: '/abs' })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    store.destroy();
  });
});

describe('S3Store and a bare 404', () => {
  it('does not read a 404 without an S3 error code (not an S3 endpoint) as a missing key', async () => {
    const server = await startFakeS3Server();
    server.reply(() => ({ status: 404, headers: { 'content-type': 'text/html' }, body: '<html>Not Found</html>' }));
    const store = new S3Store({ bucket: 'bucket', endpoint: server.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    try {
      const error = await store.get('key').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toContain('forcePathStyle');
    } finally {
      store.destroy();
      await server.close();
    }
  });
});
