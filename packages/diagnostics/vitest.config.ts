import { createTestConfig } from '@tooling/build-config/vitest';

// verify-storage and the store checks also run against a real S3 (a throwaway Ceph RGW, or
// S3_TEST_ENDPOINT); the CLI tests run the built `baton` binary as a child process.
export default createTestConfig({ globalSetup: ['@tooling/s3-test-server/vitest-global-setup'], testTimeout: 60_000 });
