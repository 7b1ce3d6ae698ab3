// @ts-check
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/** The JSON report `createTestConfig` makes vitest write in each package directory. */
export const TEST_REPORT_FILE = 'test-results.json';

// Statuses vitest's JSON reporter gives a test that did not run (see its StatusMap).
const NOT_RUN_STATUSES = new Set(['skipped', 'pending', 'todo']);

/**
 * An error that stops the summary before any report is read (the workspace cannot be listed).
 * `code` says which: `WORKSPACE_FILE_MISSING` or `WORKSPACE_PATTERN_UNSUPPORTED`.
 */
export class TestReportSummaryError extends Error {
  /**
   * @param {string} message
   * @param {{ code: 'WORKSPACE_FILE_MISSING' | 'WORKSPACE_PATTERN_UNSUPPORTED', path: string }} details
   */
  constructor(message, details) {
    super(message);
    this.name = 'TestReportSummaryError';
    /** What went wrong. */
    this.code = details.code;
    /** The file or workspace pattern concerned. */
    this.path = details.path;
  }
}

/**
 * Reads the JSON report of every workspace package that has a `test` script and judges the run:
 * it passes only when every such package wrote its report, ran at least one passing test and no
 * failing one, and, in CI, skipped nothing but `allowedSkips`. Skipped tests are listed by name
 * (package › file › title) whether or not they fail the run.
 *
 * Reports left by an earlier run are read as if fresh: delete them before testing (`.ci/run` does).
 *
 * @param {{
 *   rootDirectory: string,
 *   continuousIntegration: boolean,
 *   allowedSkips?: { file: string, title: string, reason: string }[],
 * }} options `rootDirectory`: where `pnpm-workspace.yaml` is; `allowedSkips`: tests that may be
 *   skipped even in CI, by file (relative to the root, `/`-separated) and title
 * @returns {{ passed: boolean, lines: string[], problems: string[] }} `lines`: what to print
 *   (ending with the problems, if any); `problems`: one sentence per reason the run fails
 * @throws {TestReportSummaryError} when the workspace packages cannot be listed
 */
export function summarizeTestReports(options) {
  const rootDirectory = resolve(options.rootDirectory);
  const allowedSkips = options.allowedSkips ?? [];
  /** @type {string[]} */
  const lines = [];
  /** @type {string[]} */
  const problems = [];
  /** @type {string[]} */
  const skipLines = [];
  const totals = { passed: 0, failed: 0, skipped: 0 };
  let testedPackages = 0;

  for (const directory of listWorkspacePackages(rootDirectory)) {
    const manifest = /** @type {{ name?: string, scripts?: Record<string, string> }} */ (JSON.parse(readFileSync(join(rootDirectory, directory, 'package.json'), 'utf8')));
    if (manifest.scripts?.test === undefined) continue;
    testedPackages += 1;
    const label = manifest.name ?? directory;
    const reportPath = join(rootDirectory, directory, TEST_REPORT_FILE);
    if (!existsSync(reportPath)) {
      lines.push(`${directory}: no report`);
      problems.push(
        `${label} (${directory}) has a test script but wrote no ${TEST_REPORT_FILE}: its tests did not run, or its vitest config does not use createTestConfig from @tooling/build-config/vitest.`,
      );
      continue;
    }
    const report = readReport(reportPath);
    if (typeof report === 'string') {
      lines.push(`${directory}: unreadable report`);
      problems.push(`${label} (${directory}): ${report}`);
      continue;
    }

    let passed = 0;
    /** @type {string[]} */
    const failedTests = [];
    /** @type {string[]} */
    const failedFiles = [];
    /** @type {{ name: string, allowance: string | undefined }[]} */
    const skipped = [];
    for (const file of report.testResults) {
      const filePath = relative(join(rootDirectory, directory), file.name).split(sep).join('/');
      const rootRelativePath = relative(rootDirectory, file.name).split(sep).join('/');
      let fileHasFailedTest = false;
      for (const test of file.assertionResults) {
        const name = [label, filePath, ...test.ancestorTitles, test.title].join(' › ');
        if (test.status === 'passed') passed += 1;
        else if (test.status === 'failed') {
          failedTests.push(name);
          fileHasFailedTest = true;
        } else if (NOT_RUN_STATUSES.has(test.status)) {
          const allowance = allowedSkips.find((allowed) => allowed.file === rootRelativePath && allowed.title === test.title);
          skipped.push({ name, allowance: allowance?.reason });
        }
      }
      // A file that failed with no failing test did not load or failed in a hook: its tests never ran.
      if (file.status === 'failed' && !fileHasFailedTest) failedFiles.push(`${label} › ${filePath}: ${file.message || 'failed outside any test'}`);
    }

    totals.passed += passed;
    totals.failed += failedTests.length + failedFiles.length;
    totals.skipped += skipped.length;
    lines.push(`${directory}: ${passed} passed, ${failedTests.length + failedFiles.length} failed, ${skipped.length} skipped`);

    if (passed === 0) problems.push(`${label} (${directory}) ran no passing test.`);
    for (const name of failedTests) problems.push(`Failed: ${name}`);
    for (const description of failedFiles) problems.push(`Failed file: ${description}`);
    for (const { name, allowance } of skipped) {
      if (allowance !== undefined) skipLines.push(`  ${name} (allowed: ${allowance})`);
      else if (options.continuousIntegration) {
        skipLines.push(`  ${name} (NOT allowed in CI)`);
        problems.push(`Skipped in CI: ${name}`);
      } else skipLines.push(`  ${name}`);
    }
  }

  if (testedPackages === 0) problems.push(`No workspace package in ${rootDirectory} has a test script: nothing was tested.`);
  if (skipLines.length > 0) lines.push(`Skipped tests (${skipLines.length}):`, ...skipLines);
  lines.push(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  if (problems.length > 0) lines.push(`The test run FAILED (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):`, ...problems.map((problem) => `  - ${problem}`));
  return { passed: problems.length === 0, lines, problems };
}

/**
 * @typedef {{
 *   testResults: {
 *     name: string,
 *     status: string,
 *     message: string,
 *     assertionResults: { ancestorTitles: string[], title: string, status: string }[],
 *   }[],
 * }} TestReport the part of vitest's JSON report (`JsonTestResults`) the summary reads
 */

/**
 * @param {string} path
 * @returns {TestReport | string} the report, or why it cannot be used
 */
function readReport(path) {
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return `${TEST_REPORT_FILE} is not valid JSON (${error instanceof Error ? error.message : String(error)}): was the run interrupted while writing it?`;
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(/** @type {{ testResults?: unknown }} */ (parsed).testResults)) {
    return `${TEST_REPORT_FILE} has no testResults array: it is not a vitest JSON report.`;
  }
  return /** @type {TestReport} */ (parsed);
}

/**
 * The package directories (relative to `rootDirectory`) that `pnpm-workspace.yaml` names, in
 * file order. Only the forms this repository uses are understood (`dir/*` and `dir`): anything
 * else throws rather than silently leaving packages out of the summary.
 *
 * @param {string} rootDirectory
 * @returns {string[]}
 */
function listWorkspacePackages(rootDirectory) {
  const workspaceFile = join(rootDirectory, 'pnpm-workspace.yaml');
  if (!existsSync(workspaceFile)) {
    throw new TestReportSummaryError(`No pnpm-workspace.yaml in ${rootDirectory}: run the test summary from the repository root.`, {
      code: 'WORKSPACE_FILE_MISSING',
      path: workspaceFile,
    });
  }
  /** @type {string[]} */
  const directories = [];
  for (const pattern of readWorkspacePatterns(readFileSync(workspaceFile, 'utf8'))) {
    const parent = pattern.endsWith('/*') ? pattern.slice(0, -2) : pattern;
    if (pattern.startsWith('!') || /[*?[\]{}]/.test(parent)) {
      throw new TestReportSummaryError(
        `pnpm-workspace.yaml names packages as '${pattern}', which the test summary cannot expand: teach listWorkspacePackages in @tooling/build-config/test-report-summary that form.`,
        { code: 'WORKSPACE_PATTERN_UNSUPPORTED', path: pattern },
      );
    }
    const candidates = pattern.endsWith('/*')
      ? existsSync(join(rootDirectory, parent))
        ? readdirSync(join(rootDirectory, parent), { withFileTypes: true })
            .filter((entry) => entry.isDirectory())
            .map((entry) => `${parent}/${entry.name}`)
            .sort()
        : []
      : [parent];
    directories.push(...candidates.filter((directory) => existsSync(join(rootDirectory, directory, 'package.json'))));
  }
  return directories;
}

/**
 * The entries of the top-level `packages:` list of a pnpm-workspace.yaml.
 *
 * @param {string} text
 * @returns {string[]}
 */
function readWorkspacePatterns(text) {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((line) => /^packages:\s*(#.*)?$/.test(line));
  if (start === -1) return [];
  /** @type {string[]} */
  const patterns = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    const entry = /^\s+-\s+(['"]?)([^'"#\s]+)\1\s*(#.*)?$/.exec(line);
    if (entry?.[2] === undefined) break;
    patterns.push(entry[2]);
  }
  return patterns;
}
