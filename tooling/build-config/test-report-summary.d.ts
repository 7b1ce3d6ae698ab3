/** The JSON report `createTestConfig` makes vitest write in each package directory: `test-results.json`. */
export declare const TEST_REPORT_FILE: string;

/** A test that may be skipped even in CI. */
export interface AllowedSkip {
  /** Its file, relative to the repository root, `/`-separated. */
  file: string;
  /** Its title as vitest reports it (without the enclosing suites). */
  title: string;
  /** Why it may be skipped, printed beside it. */
  reason: string;
}

/** Options for {@link summarizeTestReports}. */
export interface SummarizeTestReportsOptions {
  /** Where `pnpm-workspace.yaml` is. */
  rootDirectory: string;
  /** Whether skipped tests fail the run (see `isContinuousIntegration`). */
  continuousIntegration: boolean;
  /** Tests that may be skipped even in CI. */
  allowedSkips?: AllowedSkip[];
}

/** The verdict on a test run. */
export interface TestReportSummary {
  /** Whether every package reported, passed tests, failed none and (in CI) skipped only allowed ones. */
  passed: boolean;
  /** What to print: a line per package, the skipped tests by name, the totals, then the problems. */
  lines: string[];
  /** One sentence per reason the run fails. */
  problems: string[];
}

/**
 * Judges a run from the JSON reports of every workspace package that has a `test` script: each
 * must have reported, passed at least one test and failed none; in CI, nothing but `allowedSkips`
 * may be skipped.
 *
 * @throws {TestReportSummaryError} when the workspace packages cannot be listed.
 */
export declare function summarizeTestReports(options: SummarizeTestReportsOptions): TestReportSummary;

/** The workspace packages could not be listed, so no report was read. */
export declare class TestReportSummaryError extends Error {
  constructor(message: string, details: { code: 'WORKSPACE_FILE_MISSING' | 'WORKSPACE_PATTERN_UNSUPPORTED'; path: string });
  /** `WORKSPACE_FILE_MISSING` (no pnpm-workspace.yaml) or `WORKSPACE_PATTERN_UNSUPPORTED` (a package glob it cannot expand). */
  readonly code: 'WORKSPACE_FILE_MISSING' | 'WORKSPACE_PATTERN_UNSUPPORTED';
  /** The file or workspace pattern concerned. */
  readonly path: string;
}
