import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  AccessDeniedError,
  bytesToText,
  createStore,
  isStorageError,
  NotFoundError,
  parseConnectionString,
  PreconditionFailedError,
  type PutResult,
  StorageUnavailableError,
  UnsupportedOperationError,
} from '@baton/storage';
import { createTestBucket, createTestClient, s3TestTarget, skipUnlessManagedServer, type S3TestTarget, type TestBucket } from '@tooling/s3-test-server/target';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Store, S3Store, type S3StoreOptions } from './s3-store';
import { startFakeS3Server } from './test-support/fake-s3-server';

const target = s3TestTarget();

function requireTarget(): S3TestTarget {
  if (target === undefined) throw new Error('no S3 test target: this suite should have been skipped');
  return target;
}

// S3-specific behaviour on a real Ceph RGW (or S3_TEST_ENDPOINT). The conformance kit covers the
// contract; these cover what only an S3 backend has: ETag quoting, RGW's race replies, error
// mapping of real replies, prefixes, and the connection-string path.
describe.skipIf(target === undefined)('S3Store on a real S3 endpoint', () => {
  let bucket: TestBucket;
  const stores: S3Store[] = [];

  beforeAll(async () => {
    bucket = await createTestBucket(requireTarget(), { namePrefix: 's3-store' });
  });
  afterAll(async () => {
    for (const store of stores) store.destroy();
    await bucket.remove();
  });

  function storeFor(options: Partial<S3StoreOptions> = {}): S3Store {
    const connection = requireTarget();
    const store = new S3Store({
      bucket: bucket.name,
      endpoint: connection.endpoint,
      region: connection.region,
      forcePathStyle: true,
      credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
      ...options,
    });
    stores.push(store);
    return store;
  }

  it('round-trips bytes as a Uint8Array with an unquoted ETag and a modification time', async () => {
    const store = storeFor({ prefix: 'round-trip' });
    const body = new Uint8Array([0, 1, 2, 250, 255]);
    const written = await store.put('binary', body, { contentType: 'application/octet-stream' });
    const read = await store.get('binary');
    expect(read?.body).toBeInstanceOf(Uint8Array);
    expect(read?.body).toEqual(body);
    expect(read?.etag).toBe(written.etag);
    expect(written.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(read?.lastModified).toBeInstanceOf(Date);
  });

  it('compare-and-swaps with the ETag it returned, quoted or not', async () => {
    const store = storeFor({ prefix: 'if-match' });
    const first = await store.put('record', 'v1');
    const second = await store.put('record', 'v2', { ifMatch: first.etag });
    // Callers that kept the ETag in its HTTP form get the same result: it is sent bare.
    const third = await store.put('record', 'v3', { ifMatch: `"${second.etag}"` });
    await expect(store.put('record', 'stale', { ifMatch: first.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
    const read = await store.get('record');
    expect(read && bytesToText(read.body)).toBe('v3');
    expect(read?.etag).toBe(third.etag);
  });

  // S3_TEST_ENDPOINT may be another S3 implementation: these two skip there, with a warning.
  const rgwOnly = 'it checks a reply of Ceph RGW itself, which another S3 implementation need not give';

  it('RGW answers 412 to a quoted If-Match even when it matches: why S3Store sends it bare', async (context) => {
    skipUnlessManagedServer(context, requireTarget(), rgwOnly);
    const client = createTestClient(requireTarget());
    try {
      const key = 'raw/quoted-if-match';
      const put = await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: 'v1' }));
      expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      const quoted = await client
        .send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: 'v2', IfMatch: put.ETag }))
        .then(() => 'applied', (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode);
      expect(quoted).toBe(412);
      const bare = await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: 'v2', IfMatch: put.ETag?.replaceAll('"', '') }));
      expect(bare.ETag).toBeDefined();
    } finally {
      client.destroy();
    }
  });

  it('RGW ignores If-Match on DELETE: why conditionalDelete defaults to false', async (context) => {
    skipUnlessManagedServer(context, requireTarget(), rgwOnly);
    const client = createTestClient(requireTarget());
    try {
      const key = 'raw/conditional-delete';
      await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: 'v1' }));
      await client.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: key, IfMatch: '00000000000000000000000000000000' }));
      expect(await storeFor().get(key)).toBeUndefined();
    } finally {
      client.destroy();
    }
  });

  it('refuses delete with ifMatch (UnsupportedOperationError) unless conditionalDelete is set, and deletes nothing', async () => {
    const store = storeFor({ prefix: 'conditional-delete' });
    expect(store.capabilities.conditionalDelete).toBe(false);
    const { etag } = await store.put('target', 'x');
    const error = await store.delete('target', { ifMatch: etag }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedOperationError);
    expect((error as Error).message).toContain('conditionalDelete');
    expect(await store.get('target')).toBeDefined();
    await store.delete('target');
    expect(await store.get('target')).toBeUndefined();
  });

  it('20 racing compare-and-swaps: at most one success, the rest PreconditionFailed or OutcomeUnknown, and a re-read decides', async () => {
    const store = storeFor({ prefix: 'cas-race' });
    let { etag } = await store.put('leader', 'initial');
    const tally = { won: 0, preconditionFailed: 0, outcomeUnknown: 0 };
    for (let round = 0; round < 15; round += 1) {
      const bodies = Array.from({ length: 20 }, (_value, racer) => `round-${round}-racer-${racer}`);
      const outcomes = await Promise.allSettled(bodies.map((body) => store.put('leader', body, { ifMatch: etag })));
      const winners = outcomes.flatMap((outcome, racer) => (outcome.status === 'fulfilled' ? [racer] : []));
      const unknown = outcomes.flatMap((outcome, racer) =>
        outcome.status === 'rejected' && isStorageError(outcome.reason, 'OUTCOME_UNKNOWN') ? [racer] : [],
      );
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected' && !isStorageError(outcome.reason, 'PRECONDITION_FAILED') && !isStorageError(outcome.reason, 'OUTCOME_UNKNOWN')) {
          throw outcome.reason;
        }
      }
      expect(winners.length).toBeLessThanOrEqual(1);
      tally.won += winners.length;
      tally.outcomeUnknown += unknown.length;
      tally.preconditionFailed += 20 - winners.length - unknown.length;

      const stored = await store.get('leader');
      if (stored === undefined) throw new Error('the object vanished');
      const storedRacer = bodies.indexOf(bytesToText(stored.body));
      expect(storedRacer, `round ${round}: the stored body is nobody's`).not.toBe(-1);
      if (winners.length === 1) {
        expect(storedRacer).toBe(winners[0]);
        expect(stored.etag).toBe((outcomes[storedRacer] as PromiseFulfilledResult<PutResult>).value.etag);
      } else {
        // Nobody was told they won: the stored writer must be one whose outcome was unknown.
        expect(unknown).toContain(storedRacer);
      }
      etag = stored.etag;
    }
    expect(tally.won + tally.outcomeUnknown).toBeGreaterThan(0);
  });

  it('20 racing creates: exactly one object, written by a writer that won or whose outcome is unknown', async () => {
    const store = storeFor({ prefix: 'create-race' });
    for (let round = 0; round < 10; round += 1) {
      const key = `lease-${round}`;
      const bodies = Array.from({ length: 20 }, (_value, racer) => `racer-${racer}`);
      const outcomes = await Promise.allSettled(bodies.map((body) => store.put(key, body, { ifNoneMatch: '*' })));
      const winners = outcomes.flatMap((outcome, racer) => (outcome.status === 'fulfilled' ? [racer] : []));
      expect(winners.length).toBeLessThanOrEqual(1);
      const stored = await store.get(key);
      const storedRacer = bodies.indexOf(stored === undefined ? '' : bytesToText(stored.body));
      expect(storedRacer).not.toBe(-1);
      const storedOutcome = outcomes[storedRacer];
      expect(
        storedOutcome?.status === 'fulfilled' || isStorageError(storedOutcome?.reason, 'OUTCOME_UNKNOWN'),
        `round ${round}: the stored writer was told it lost`,
      ).toBe(true);
    }
  });

  it('isolates prefixes: two stores on one bucket never see each other, and list strips the prefix', async () => {
    const teamA = storeFor({ prefix: 'isolation/team-a' });
    const teamB = storeFor({ prefix: 'isolation/team-b/' });
    const whole = storeFor({ prefix: 'isolation' });
    await teamA.put('jobs/1', 'a1');
    await teamA.put('jobs/2', 'a2');
    await teamB.put('jobs/1', 'b1');

    expect(bytesToText((await teamA.get('jobs/1'))?.body ?? new Uint8Array())).toBe('a1');
    expect(bytesToText((await teamB.get('jobs/1'))?.body ?? new Uint8Array())).toBe('b1');
    expect(await teamB.get('jobs/2')).toBeUndefined();
    expect((await teamA.list({ prefix: 'jobs/' })).entries.map((entry) => entry.key)).toEqual(['jobs/1', 'jobs/2']);
    expect((await teamB.list({ prefix: '' })).entries.map((entry) => entry.key)).toEqual(['jobs/1']);
    expect((await whole.list({ prefix: '' })).entries.map((entry) => entry.key)).toEqual(['team-a/jobs/1', 'team-a/jobs/2', 'team-b/jobs/1']);
    // A create in one prefix does not collide with the same key in the other.
    await teamB.put('jobs/2', 'b2', { ifNoneMatch: '*' });
    await teamA.delete('jobs/1');
    expect(await teamB.get('jobs/1')).toBeDefined();
    expect(teamA.description).toBe(`s3://${bucket.name}/isolation/team-a/ (${requireTarget().endpoint})`);
  });

  it('pages a listing with nextCursor, entries carrying size and unquoted ETags', async () => {
    const store = storeFor({ prefix: 'paging' });
    const keys = Array.from({ length: 7 }, (_value, index) => `item-${index}`);
    const etags = await Promise.all(keys.map((key) => store.put(key, `${key}-body`)));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ prefix: 'item-', limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      expect(page.entries.length).toBeLessThanOrEqual(3);
      for (const entry of page.entries) {
        expect(entry.size).toBe(`${entry.key}-body`.length);
        expect(entry.etag).toBe(etags[keys.indexOf(entry.key)]?.etag);
      }
      seen.push(...page.entries.map((entry) => entry.key));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(keys);
  });

  it('maps a missing bucket to NotFoundError that says to create it', async () => {
    const store = storeFor({ bucket: `${bucket.name}-missing` });
    for (const call of [() => store.get('a'), () => store.put('a', 'x', { ifNoneMatch: '*' }), () => store.list({ prefix: '' })]) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toContain('create it');
    }
  });

  it('maps bad credentials to AccessDeniedError saying what to check, without retrying for long', async () => {
    const connection = requireTarget();
    const wrongSecret = storeFor({ credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: 'not-the-secret' } });
    const unknownKey = storeFor({ credentials: { accessKeyId: 'nobody-has-this-key', secretAccessKey: 'whatever' } });
    const secretError = await wrongSecret.get('a').catch((caught: unknown) => caught);
    expect(secretError).toBeInstanceOf(AccessDeniedError);
    expect((secretError as Error).message).toMatch(/secret key|credentials/);
    expect((secretError as Error).message).not.toContain('not-the-secret');
    const keyError = await unknownKey.put('a', 'x', { ifNoneMatch: '*' }).catch((caught: unknown) => caught);
    expect(keyError).toBeInstanceOf(AccessDeniedError);
    expect((keyError as Error).message).toMatch(/access key/);
  });

  it('reports an unreachable endpoint as StorageUnavailableError quickly', async () => {
    const closed = await startFakeS3Server();
    await closed.close();
    const store = storeFor({ endpoint: closed.endpoint, requestTimeoutMs: 500, maxAttempts: 2, retryBaseDelayMs: 10 });
    const started = Date.now();
    await expect(store.get('a')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('rejects with the signal reason: before sending, and in flight', async () => {
    const store = storeFor({ prefix: 'abort' });
    const already = new AbortController();
    already.abort(new Error('already aborted'));
    await expect(store.put('x', 'x', { ifNoneMatch: '*', signal: already.signal })).rejects.toThrow('already aborted');

    const inFlight = new AbortController();
    const reason = new Error('aborted in flight');
    // 8 MiB takes a while to hash and upload, so the abort lands mid-request.
    const pending = store.put('big', new Uint8Array(8 * 1024 * 1024), { signal: inFlight.signal });
    setTimeout(() => {
      inFlight.abort(reason);
    }, 1);
    await expect(pending).rejects.toBe(reason);
    expect(await store.get('x')).toBeUndefined();
  });

  it('is what createStore("s3://…") of @baton/storage builds, from the parsed connection string', async () => {
    const connection = requireTarget();
    const url =
      `s3://${encodeURIComponent(connection.accessKeyId)}:${encodeURIComponent(connection.secretAccessKey)}@${bucket.name}/via-url` +
      `?endpoint=${encodeURIComponent(connection.endpoint)}&forcePathStyle=true&region=${connection.region}`;
    const parsed = parseConnectionString(url);
    if (parsed.kind !== 's3') throw new Error(`parsed as ${parsed.kind}`);
    const direct = createS3Store(parsed.options);
    stores.push(direct);
    expect(direct.description).toBe(`s3://${bucket.name}/via-url/ (${connection.endpoint})`);
    expect(direct.description).not.toContain(connection.secretAccessKey);
    await direct.put('hello', 'world', { ifNoneMatch: '*' });

    const viaCreateStore = await createStore(url);
    expect(viaCreateStore.description).toBe(direct.description);
    const read = await viaCreateStore.get('hello');
    expect(read && bytesToText(read.body)).toBe('world');
    await expect(viaCreateStore.put('hello', 'again', { ifNoneMatch: '*' })).rejects.toSatisfy((error: unknown) =>
      isStorageError(error, 'PRECONDITION_FAILED'),
    );
  });

  it('works with a caller-supplied S3Client', async () => {
    const connection = requireTarget();
    const client = new S3Client({
      endpoint: connection.endpoint,
      region: connection.region,
      forcePathStyle: true,
      credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      const store = new S3Store({ client, bucket: bucket.name, prefix: 'own-client' });
      expect(store.description).toBe(`s3://${bucket.name}/own-client/ (custom S3 client)`);
      const first = await store.put('k', 'v1', { ifNoneMatch: '*' });
      await store.put('k', 'v2', { ifMatch: first.etag });
      await expect(store.put('k', 'v3', { ifMatch: first.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
      store.destroy(); // leaves the caller's client open
      expect(await store.get('k')).toBeDefined();
    } finally {
      client.destroy();
    }
  });
});
