import { createTestConfig } from '@tooling/build-config/vitest';
import { mergeConfig } from 'vitest/config';

// The demo also runs on a real S3: one throwaway Ceph RGW (or S3_TEST_ENDPOINT) for the suite.
// One file at a time: the demo measures failover times, which a parallel `npm install` on the
// same two cores would only make noisier.
export default mergeConfig(createTestConfig({ globalSetup: ['@tooling/s3-test-server/vitest-global-setup'], testTimeout: 120_000 }), {
  test: { fileParallelism: false },
});
