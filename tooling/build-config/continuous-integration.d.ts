/**
 * Whether this process runs in CI: `CI` is set to anything but `''`, `'0'` or `'false'` (any case).
 * The one test every package and tool uses to decide whether a missing S3 server or a skipped
 * test fails the run.
 */
export declare function isContinuousIntegration(environment?: Record<string, string | undefined>): boolean;
