// @ts-check
import process from 'node:process';

// CI services set CI to many spellings of "yes" (`true`, `1`, `True`, a build number): only an
// explicit "no" means not CI, so that a run with CI=1 cannot quietly take the local-machine
// paths (skipping S3 suites when Ceph is missing, accepting skipped tests).
const NOT_CONTINUOUS_INTEGRATION = new Set(['', '0', 'false']);

/**
 * Whether this process runs in CI: `CI` is set to anything but `''`, `'0'` or `'false'` (in any
 * case, surrounding spaces ignored). The one test every package and tool uses, so that they
 * never disagree about whether a missing Ceph or a skipped test fails the run.
 *
 * @param {Record<string, string | undefined>} [environment] the variables to read (default `process.env`)
 * @returns {boolean}
 */
export function isContinuousIntegration(environment = process.env) {
  const value = environment.CI;
  if (value === undefined) return false;
  return !NOT_CONTINUOUS_INTEGRATION.has(value.trim().toLowerCase());
}
