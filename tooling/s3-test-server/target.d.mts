import type { S3Client } from '@aws-sdk/client-s3';
import type { TestContext } from 'vitest';

/** What is needed to reach an S3 endpoint: an `S3TestTarget`, or a started `S3TestServer`. */
export interface S3TestConnection {
  /** The endpoint, e.g. `http://127.0.0.1:41234`. Use path-style addressing. */
  endpoint: string;
  /** The region to sign with. */
  region: string;
  /** The access key. */
  accessKeyId: string;
  /** The secret key. */
  secretAccessKey: string;
}

/** How tests reach the S3 endpoint the globalSetup provided. */
export interface S3TestTarget extends S3TestConnection {
  /** True when the globalSetup started this server itself (a throwaway Ceph), false for `S3_TEST_ENDPOINT`. */
  managed: boolean;
}

/** A uniquely named bucket made for one test file. */
export interface TestBucket {
  /** The bucket name. */
  name: string;
  /** Deletes every object in the bucket, then the bucket. */
  remove(): Promise<void>;
}

declare module 'vitest' {
  interface ProvidedContext {
    /** Provided by `@tooling/s3-test-server/vitest-global-setup`; `null` when no S3 endpoint is available. */
    s3: S3TestTarget | null;
  }
}

/** The package's vitest config does not run the globalSetup that provides the S3 target (thrown in CI only). */
export declare class S3TestTargetError extends Error {
  constructor(message: string);
  /** Always `GLOBAL_SETUP_MISSING`. */
  readonly code: 'GLOBAL_SETUP_MISSING';
}

/**
 * The S3 endpoint the globalSetup provided, or `undefined` when Ceph could not be started outside
 * CI: use `describe.skipIf(!target)`. Without the globalSetup configured it warns, or in CI throws.
 *
 * @throws {S3TestTargetError} in CI, when the package's vitest config lacks the globalSetup.
 */
export declare function s3TestTarget(): S3TestTarget | undefined;

/**
 * Skips the running test with a warning naming it and `reason`, unless `target` is the throwaway
 * Ceph RGW the globalSetup started (`managed`). For tests of RGW's own replies.
 */
export declare function skipUnlessManagedServer(context: TestContext, target: S3TestTarget, reason: string): void;

/** An S3 client for `target` configured as RGW needs (path-style, checksums only when required). */
export declare function createTestClient(target: S3TestConnection): S3Client;

/** Creates a uniquely named bucket; its `remove()` empties and deletes it. */
export declare function createTestBucket(target: S3TestConnection, options?: { namePrefix?: string }): Promise<TestBucket>;

/** Writes `body` at `key` (the full object key) with a plain PutObject, around baton's key rules: how tests plant objects another tool may leave, such as a key with a backslash. */
export declare function putRawObject(target: S3TestConnection, bucket: string, key: string, body: string): Promise<void>;
