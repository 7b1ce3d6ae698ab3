import type { TestProject } from 'vitest/node';

/**
 * A vitest `globalSetup`: provides `'s3'` (an `S3TestTarget`, or `null` outside CI when Ceph
 * cannot be started) from `S3_TEST_ENDPOINT` or a throwaway Ceph RGW, and stops that server at
 * teardown. Read it in tests with `s3TestTarget()` from `@tooling/s3-test-server/target`.
 */
export default function setup(project: TestProject): Promise<() => Promise<void>>;
