// Judges the test run from the JSON report vitest wrote in every workspace package, run from the
// repository root after `pnpm test`: prints a line per package, the skipped tests by name and
// "Tests: N passed, N failed, N skipped", and exits non-zero when a package with a test script
// wrote no report, passed no test or failed one, or, in CI, when any test other than the
// on-demand replay was skipped. The rules live in @tooling/build-config/test-report-summary
// (tested there); this file holds this repository's one allowed skip.
import process from 'node:process';
import { isContinuousIntegration } from '../tooling/build-config/continuous-integration.js';
import { summarizeTestReports } from '../tooling/build-config/test-report-summary.js';

const ALLOWED_SKIPS = [
  {
    file: 'packages/coordinator-core/src/simulation/replay.test.ts',
    title: 'replays seed (set SIMULATION_SEED)',
    reason: 'on demand: replays the seed SIMULATION_SEED names',
  },
];

const summary = summarizeTestReports({
  rootDirectory: process.cwd(),
  continuousIntegration: isContinuousIntegration(),
  allowedSkips: ALLOWED_SKIPS,
});
for (const line of summary.lines) console.log(line);
process.exitCode = summary.passed ? 0 : 1;
