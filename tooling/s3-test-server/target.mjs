// @ts-check
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { isContinuousIntegration } from '@tooling/build-config/continuous-integration';
import { inject } from 'vitest';

/** @typedef {import('./target.d.mts').S3TestTarget} S3TestTarget */
/** @typedef {import('./target.d.mts').TestBucket} TestBucket */
/** @typedef {import('./target.d.mts').S3TestConnection} S3TestConnection */

/**
 * A test file asked for the S3 endpoint, but its package's vitest config does not run the
 * globalSetup that provides it. `code` is `GLOBAL_SETUP_MISSING`.
 */
export class S3TestTargetError extends Error {
  /**
   * @param {string} message
   */
  constructor(message) {
    super(message);
    this.name = 'S3TestTargetError';
    /** Why no target could be given. */
    this.code = /** @type {const} */ ('GLOBAL_SETUP_MISSING');
  }
}

/**
 * The S3 endpoint the `@tooling/s3-test-server/vitest-global-setup` provided, or `undefined`
 * when Ceph could not be started outside CI. Use it as `describe.skipIf(!target)`.
 *
 * A package whose vitest config lacks the globalSetup would skip its S3 suites without a word:
 * in CI (see `isContinuousIntegration`) that throws, elsewhere it prints a warning and returns
 * `undefined`.
 *
 * @returns {S3TestTarget | undefined}
 * @throws {S3TestTargetError} in CI, when the globalSetup is not configured
 */
export function s3TestTarget() {
  const provided = inject('s3');
  // null: the globalSetup ran and could not start Ceph (it has printed why, or failed in CI).
  if (provided !== undefined) return provided ?? undefined;
  const problem =
    "No S3 test target: this package's vitest config does not run @tooling/s3-test-server/vitest-global-setup, so its S3 tests would be skipped. " +
    "Add it: createTestConfig({ globalSetup: ['@tooling/s3-test-server/vitest-global-setup'] }).";
  if (isContinuousIntegration()) throw new S3TestTargetError(`${problem} In CI this is an error instead of a skip.`);
  process.stderr.write(`\n!! S3 TESTS WILL BE SKIPPED. ${problem}\n\n`);
  return undefined;
}

/**
 * Skips the running test, with a warning on stderr naming it and saying why, unless `target` is
 * the throwaway Ceph RGW the globalSetup started itself (`managed`). For tests of RGW's own
 * replies: an `S3_TEST_ENDPOINT` may be another S3 implementation. In CI the skip fails the run
 * (`.ci/summarize-tests.mjs` allows no such skip), which is right: CI always uses the managed RGW.
 *
 * @param {import('vitest').TestContext} context the running test's context
 * @param {S3TestTarget} target
 * @param {string} reason why the test needs Ceph RGW itself
 */
export function skipUnlessManagedServer(context, target, reason) {
  if (target.managed) return;
  const note = `needs the throwaway Ceph RGW, but S3_TEST_ENDPOINT points at ${target.endpoint}: ${reason}`;
  process.stderr.write(`\n!! SKIPPED "${context.task.fullTestName}": ${note}\n\n`);
  context.skip(note);
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
