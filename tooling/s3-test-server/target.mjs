// @ts-check
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { inject } from 'vitest';

/** @typedef {import('./target.d.mts').S3TestTarget} S3TestTarget */
/** @typedef {import('./target.d.mts').TestBucket} TestBucket */
/** @typedef {import('./target.d.mts').S3TestConnection} S3TestConnection */

/**
 * The S3 endpoint the `@tooling/s3-test-server/vitest-global-setup` provided, or `undefined`
 * when there is none (Ceph missing outside CI, or the globalSetup not configured). Use it as
 * `describe.skipIf(!target)`.
 *
 * @returns {S3TestTarget | undefined}
 */
export function s3TestTarget() {
  return inject('s3') ?? undefined;
}

/**
 * An S3 client for `target`, configured as RGW needs: path-style addressing, and checksums only
 * where an operation requires them (RGW 16 rejects the SDK's default trailing checksums).
 *
 * @param {S3TestConnection} target
 * @returns {S3Client}
 */
export function createTestClient(target) {
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * Creates a bucket with a unique name on `target`, so that test files running at once never see
 * each other's objects. Call `remove()` when done (e.g. in `afterAll`): it empties and deletes it.
 *
 * @param {S3TestConnection} target
 * @param {{ namePrefix?: string }} [options] `namePrefix`: the start of the bucket name (default `test`)
 * @returns {Promise<TestBucket>}
 */
export async function createTestBucket(target, options = {}) {
  const namePrefix = (options.namePrefix ?? 'test').toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  const name = `${namePrefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const client = createTestClient(target);
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    async remove() {
      await emptyBucket(client, name);
      await client.send(new DeleteBucketCommand({ Bucket: name }));
      client.destroy();
    },
  };
}

/**
 * Writes `body` at `key` in `bucket` with a plain PutObject, around every rule of baton's stores:
 * how tests plant the objects another tool may leave in a bucket (a key with a backslash, say)
 * that an `S3Store` refuses to write.
 *
 * @param {S3TestConnection} target
 * @param {string} bucket
 * @param {string} key the full object key (any store prefix included)
 * @param {string} body
 * @returns {Promise<void>}
 */
export async function putRawObject(target, bucket, key, body) {
  const client = createTestClient(target);
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  } finally {
    client.destroy();
  }
}

/**
 * Deletes every object in `bucket`, one listing page (at most 1000 keys) per DeleteObjects call.
 *
 * @param {S3Client} client
 * @param {string} bucket
 */
async function emptyBucket(client, bucket) {
  /** @type {string | undefined} */
  let continuationToken;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: continuationToken }));
    const objects = (page.Contents ?? []).flatMap((entry) => (entry.Key === undefined ? [] : [{ Key: entry.Key }]));
    if (objects.length > 0) {
      const result = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
      const failure = result.Errors?.[0];
      if (failure !== undefined) {
        throw new Error(`Could not empty test bucket ${bucket}: ${failure.Key ?? '?'}: ${failure.Code ?? ''} ${failure.Message ?? ''}`);
      }
    }
    continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (continuationToken !== undefined);
}
