// @ts-check
import { defineConfig } from 'vitest/config';
import { TEST_REPORT_FILE } from './test-report-summary.js';

/**
 * The test configuration every package uses: tests live beside the code (`src/**\/*.test.ts`),
 * run in forked processes (the stores use real file locks and child processes), and print
 * one line per test so that CI logs say what ran.
 *
 * @param {{ globalSetup?: string[], testTimeout?: number }} [options]
 */
export function createTestConfig(options = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      pool: 'forks',
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: 120_000,
      globalSetup: options.globalSetup ?? [],
      // The JSON report lets .ci/run judge every package's results (summarizeTestReports).
      reporters: ['default', 'json'],
      outputFile: { json: TEST_REPORT_FILE },
      // The AWS SDK warns on every import that its 2027 releases need Node 22; we pin a release that supports 20.
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  });
}
