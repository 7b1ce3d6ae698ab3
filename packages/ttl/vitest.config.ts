import { createTestConfig } from '@tooling/build-config/vitest';

// The behaviour suite also runs on a real S3: one throwaway Ceph RGW (or S3_TEST_ENDPOINT) shared
// by every test file; each file uses its own bucket.
export default createTestConfig({ globalSetup: ['@tooling/s3-test-server/vitest-global-setup'], testTimeout: 60_000 });
