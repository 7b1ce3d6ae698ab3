import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizeTestReports, TEST_REPORT_FILE, TestReportSummaryError } from '../test-report-summary.js';

const SUMMARIZE_TESTS_CLI = fileURLToPath(new URL('../../../.ci/summarize-tests.mjs', import.meta.url));
const REPLAY_FILE = 'packages/coordinator-core/src/simulation/replay.test.ts';
const REPLAY_SKIPPED_TITLE = 'replays seed (set SIMULATION_SEED)';
const ALLOWED_REPLAY = { file: REPLAY_FILE, title: REPLAY_SKIPPED_TITLE, reason: 'on demand' };

type Status = 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';

interface FakeTest {
  title: string;
  status: Status;
  suites?: string[];
}

interface FakeFile {
  /** Relative to the package directory. */
  path: string;
  tests: FakeTest[];
  /** An error outside any test (the file did not load, a hook failed). */
  error?: string;
}

interface FakePackage {
  directory: string;
  name: string;
  hasTestScript?: boolean;
  /** Absent: the package wrote no report. */
  files?: FakeFile[];
}

const roots: string[] = [];

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A repository with a pnpm-workspace.yaml like this one's and a report per package, in vitest's JSON format. */
function fakeRepository(packages: FakePackage[]): string {
  const root = mkdtempSync(join(tmpdir(), 'test-report-summary-'));
  roots.push(root);
  writeFileSync(join(root, 'pnpm-workspace.yaml'), "packages:\n  - packages/*\n  - 'apps/*'\n  - tooling/*   # tools\n\ncatalog:\n  vitest: 4.1.12\n");
  for (const fakePackage of packages) {
    const directory = join(root, fakePackage.directory);
    mkdirSync(directory, { recursive: true });
    const scripts = fakePackage.hasTestScript === false ? { build: 'tsup' } : { test: 'vitest run' };
    writeFileSync(join(directory, 'package.json'), JSON.stringify({ name: fakePackage.name, scripts }));
    if (fakePackage.files !== undefined) writeFileSync(join(directory, TEST_REPORT_FILE), JSON.stringify(vitestReport(directory, fakePackage.files)));
  }
  return root;
}

function vitestReport(directory: string, files: FakeFile[]): object {
  const tests = files.flatMap((file) => file.tests);
  const count = (...statuses: Status[]): number => tests.filter((test) => statuses.includes(test.status)).length;
  return {
    numTotalTestSuites: files.length,
    numPassedTestSuites: files.filter((file) => file.error === undefined).length,
    numFailedTestSuites: files.filter((file) => file.error !== undefined).length,
    numPendingTestSuites: 0,
    numTotalTests: tests.length,
    numPassedTests: count('passed'),
    numFailedTests: count('failed'),
    numPendingTests: count('skipped', 'pending'),
    numTodoTests: count('todo'),
    startTime: 1_700_000_000_000,
    success: count('failed') === 0 && files.every((file) => file.error === undefined),
    testResults: files.map((file) => ({
      name: join(directory, file.path),
      status: file.error !== undefined || file.tests.some((test) => test.status === 'failed') ? 'failed' : 'passed',
      message: file.error ?? '',
      startTime: 1_700_000_000_000,
      endTime: 1_700_000_000_100,
      assertionResults: file.tests.map((test) => ({
        ancestorTitles: test.suites ?? [],
        fullName: [...(test.suites ?? []), test.title].join(' '),
        status: test.status,
        title: test.title,
        failureMessages: test.status === 'failed' ? ['AssertionError: expected 1 to be 2'] : [],
      })),
    })),
  };
}

function passing(directory: string, name: string): FakePackage {
  return { directory, name, files: [{ path: 'src/store.test.ts', tests: [{ title: 'stores', status: 'passed' }] }] };
}

/** coordinator-core as CI runs it: the replay test skipped because SIMULATION_SEED is unset. */
function coordinatorWithReplaySkipped(): FakePackage {
  return {
    directory: 'packages/coordinator-core',
    name: '@baton/coordinator-core',
    files: [
      {
        path: 'src/simulation/replay.test.ts',
        tests: [
          { title: REPLAY_SKIPPED_TITLE, status: 'skipped' },
          { title: 'replays a seed exactly: same seed, same trace', status: 'passed' },
        ],
      },
    ],
  };
}

/** A package whose every test was skipped, as when its S3 suites skip for want of Ceph. */
function allSkipped(): FakePackage {
  return {
    directory: 'packages/storage-s3',
    name: '@baton/storage-s3',
    files: [
      {
        path: 'src/conformance.test.ts',
        tests: Array.from({ length: 40 }, (_, index) => ({ title: `contract ${index + 1}`, status: 'skipped' as const, suites: ['S3Store conformance'] })),
      },
    ],
  };
}

function runCli(root: string, ci: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SUMMARIZE_TESTS_CLI], { cwd: root, env: { PATH: process.env.PATH, CI: ci } }, (error, stdout, stderr) => {
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: stdout + stderr });
    });
  });
}

describe('summarizeTestReports', () => {
  it('passes a complete run, listing the allowed replay skip by name', () => {
    const root = fakeRepository([passing('packages/plugin', '@baton/plugin'), coordinatorWithReplaySkipped(), { directory: 'tooling/test-support', name: '@tooling/test-support', hasTestScript: false }]);
    const summary = summarizeTestReports({ rootDirectory: root, continuousIntegration: true, allowedSkips: [ALLOWED_REPLAY] });
    expect(summary.problems).toEqual([]);
    expect(summary.passed).toBe(true);
    expect(summary.lines).toContain('packages/coordinator-core: 1 passed, 0 failed, 1 skipped');
    expect(summary.lines).toContain(`  @baton/coordinator-core › src/simulation/replay.test.ts › ${REPLAY_SKIPPED_TITLE} (allowed: on demand)`);
    expect(summary.lines.at(-1)).toBe('Tests: 2 passed, 0 failed, 1 skipped');
  });

  it('fails a package that passed nothing and skipped everything, naming each skip in CI', () => {
    const root = fakeRepository([passing('packages/plugin', '@baton/plugin'), allSkipped()]);
    const summary = summarizeTestReports({ rootDirectory: root, continuousIntegration: true });
    expect(summary.passed).toBe(false);
    expect(summary.problems).toContain('@baton/storage-s3 (packages/storage-s3) ran no passing test.');
    expect(summary.problems).toContain('Skipped in CI: @baton/storage-s3 › src/conformance.test.ts › S3Store conformance › contract 40');
    expect(summary.problems).toHaveLength(41);
  });

  it('fails a package with zero passed tests outside CI too, where skips alone are only listed', () => {
    const root = fakeRepository([passing('packages/plugin', '@baton/plugin'), allSkipped()]);
    const summary = summarizeTestReports({ rootDirectory: root, continuousIntegration: false });
    expect(summary.problems).toEqual(['@baton/storage-s3 (packages/storage-s3) ran no passing test.']);
    expect(summary.lines).toContain('  @baton/storage-s3 › src/conformance.test.ts › S3Store conformance › contract 1');
  });

  it('lets skips pass outside CI but not in CI', () => {
    const partlySkipped: FakePackage = {
      directory: 'packages/storage-s3',
      name: '@baton/storage-s3',
      files: [
        {
          path: 'src/s3-store.test.ts',
          tests: [
            { title: 'round-trips bytes', status: 'passed' },
            { title: 'RGW ignores If-Match on DELETE', status: 'skipped', suites: ['S3Store on a real S3 endpoint'] },
            { title: 'pages listings', status: 'todo' },
          ],
        },
      ],
    };
    const root = fakeRepository([partlySkipped]);
    expect(summarizeTestReports({ rootDirectory: root, continuousIntegration: false }).passed).toBe(true);
    expect(summarizeTestReports({ rootDirectory: root, continuousIntegration: true }).problems).toEqual([
      'Skipped in CI: @baton/storage-s3 › src/s3-store.test.ts › S3Store on a real S3 endpoint › RGW ignores If-Match on DELETE',
      'Skipped in CI: @baton/storage-s3 › src/s3-store.test.ts › pages listings',
    ]);
  });

  it('allows only the named replay test, not the other test in its file', () => {
    const replayFileAllSkipped: FakePackage = {
      directory: 'packages/coordinator-core',
      name: '@baton/coordinator-core',
      files: [
        { path: 'src/simulation/seeded-random.test.ts', tests: [{ title: 'is deterministic', status: 'passed' }] },
        {
          path: 'src/simulation/replay.test.ts',
          tests: [
            { title: REPLAY_SKIPPED_TITLE, status: 'skipped' },
            { title: 'replays a seed exactly: same seed, same trace', status: 'skipped' },
          ],
        },
      ],
    };
    const summary = summarizeTestReports({ rootDirectory: fakeRepository([replayFileAllSkipped]), continuousIntegration: true, allowedSkips: [ALLOWED_REPLAY] });
    expect(summary.problems).toEqual(['Skipped in CI: @baton/coordinator-core › src/simulation/replay.test.ts › replays a seed exactly: same seed, same trace']);
  });

  it('fails a package with a test script and no report, and ignores packages without a test script', () => {
    const root = fakeRepository([
      passing('packages/plugin', '@baton/plugin'),
      { directory: 'apps/example', name: 'baton-example' },
      { directory: 'tooling/test-support', name: '@tooling/test-support', hasTestScript: false },
    ]);
    const summary = summarizeTestReports({ rootDirectory: root, continuousIntegration: false });
    expect(summary.problems).toEqual([
      `baton-example (apps/example) has a test script but wrote no ${TEST_REPORT_FILE}: its tests did not run, or its vitest config does not use createTestConfig from @tooling/build-config/vitest.`,
    ]);
    expect(summary.lines).toContain('apps/example: no report');
  });

  it('fails on a failed test, naming it, and on a file that failed outside any test', () => {
    const failing: FakePackage = {
      directory: 'packages/queue',
      name: '@baton/queue',
      files: [
        {
          path: 'src/queue.test.ts',
          tests: [
            { title: 'claims once', status: 'passed' },
            { title: 'redrives', status: 'failed', suites: ['leader duties'] },
          ],
        },
        { path: 'src/broken.test.ts', tests: [], error: "Cannot find module './missing'" },
      ],
    };
    const summary = summarizeTestReports({ rootDirectory: fakeRepository([failing]), continuousIntegration: false });
    expect(summary.problems).toEqual([
      'Failed: @baton/queue › src/queue.test.ts › leader duties › redrives',
      "Failed file: @baton/queue › src/broken.test.ts: Cannot find module './missing'",
    ]);
    expect(summary.lines).toContain('packages/queue: 1 passed, 2 failed, 0 skipped');
  });

  it('fails on a report that is not valid JSON', () => {
    const root = fakeRepository([passing('packages/plugin', '@baton/plugin')]);
    writeFileSync(join(root, 'packages/plugin', TEST_REPORT_FILE), '{"testResults": [');
    const summary = summarizeTestReports({ rootDirectory: root, continuousIntegration: false });
    expect(summary.passed).toBe(false);
    expect(summary.problems[0]).toMatch(/^@baton\/plugin \(packages\/plugin\): test-results\.json is not valid JSON/);
  });

  it('fails when no package has a test script at all', () => {
    const root = fakeRepository([{ directory: 'tooling/test-support', name: '@tooling/test-support', hasTestScript: false }]);
    expect(summarizeTestReports({ rootDirectory: root, continuousIntegration: false }).problems).toEqual([
      `No workspace package in ${root} has a test script: nothing was tested.`,
    ]);
  });

  it('throws a typed error when there is no pnpm-workspace.yaml or a package pattern it cannot expand', () => {
    const root = fakeRepository([passing('packages/plugin', '@baton/plugin')]);
    expect(() => summarizeTestReports({ rootDirectory: join(root, 'packages'), continuousIntegration: false })).toThrow(
      expect.objectContaining({ code: 'WORKSPACE_FILE_MISSING' }),
    );
    writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/**\n');
    expect(() => summarizeTestReports({ rootDirectory: root, continuousIntegration: false })).toThrow(TestReportSummaryError);
  });
});

describe('.ci/summarize-tests.mjs', () => {
  it('exits 1 in CI on a package with 0 passed and skips, a missing report and a failure, and says why; the replay skip is allowed', async () => {
    const failing: FakePackage = { directory: 'packages/queue', name: '@baton/queue', files: [{ path: 'src/queue.test.ts', tests: [{ title: 'claims once', status: 'failed' }, { title: 'redrives', status: 'passed' }] }] };
    const root = fakeRepository([coordinatorWithReplaySkipped(), allSkipped(), { directory: 'packages/ttl', name: '@baton/ttl' }, failing]);
    const { code, output } = await runCli(root, '1');
    expect(code).toBe(1);
    expect(output).toContain('@baton/storage-s3 (packages/storage-s3) ran no passing test.');
    expect(output).toContain('Skipped in CI: @baton/storage-s3 › src/conformance.test.ts › S3Store conformance › contract 1');
    expect(output).toContain('@baton/ttl (packages/ttl) has a test script but wrote no test-results.json');
    expect(output).toContain('Failed: @baton/queue › src/queue.test.ts › claims once');
    expect(output).toContain(`@baton/coordinator-core › src/simulation/replay.test.ts › ${REPLAY_SKIPPED_TITLE} (allowed:`);
    expect(output).not.toContain(`Skipped in CI: @baton/coordinator-core`);
    expect(output).toContain('The test run FAILED (43 problems):');
  });

  it('exits 0 in CI when the only skip is the on-demand replay', async () => {
    const root = fakeRepository([coordinatorWithReplaySkipped(), passing('packages/plugin', '@baton/plugin')]);
    const { code, output } = await runCli(root, '1');
    expect(output).toContain('Tests: 2 passed, 0 failed, 1 skipped');
    expect(code).toBe(0);
  });

  it('treats CI=1 as CI and CI=false as not: a non-allowed skip fails only the former', async () => {
    const partlySkipped: FakePackage = {
      directory: 'packages/storage-s3',
      name: '@baton/storage-s3',
      files: [{ path: 'src/s3-store.test.ts', tests: [{ title: 'round-trips', status: 'passed' }, { title: 'RGW only', status: 'skipped' }] }],
    };
    const root = fakeRepository([partlySkipped]);
    expect((await runCli(root, '1')).code).toBe(1);
    expect((await runCli(root, 'false')).code).toBe(0);
  });
});
