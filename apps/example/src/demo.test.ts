// The demo end to end, as a user runs it: a child process with the fast timings, on the file
// store and on a real S3. What it narrates is asserted line by line — the leader, every job
// exactly once, the failover within its bound, the handover — and so are its exit code and that
// none of its worker processes is left running.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestBucket, s3TestTarget, type TestBucket } from '@tooling/s3-test-server/target';
import { s3ConnectionString } from '@tooling/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILOVER_ALLOWANCE_MS } from './chapters/failover';
import { isRunning, runCommand, type CommandResult } from './test-support/run-command';

const APP_DIRECTORY = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'baton-demo-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The fast timings (see demo-options.ts): lease 2000 ms + heartbeat 400 ms.
const FAST_FAILOVER_BOUND_MS = 2400;
const FAST_LEASE_TIMEOUT_MS = 2000;
const FAST_JOBS = 18;

function runDemo(environment: Record<string, string>, args: string[] = ['--fast']): Promise<CommandResult> {
  return runCommand(process.execPath, ['--import', 'tsx', 'src/demo.ts', ...args], {
    cwd: APP_DIRECTORY,
    env: { ...process.env, ...environment },
    timeoutMs: 100_000,
  });
}

/** `840 ms` or `1.23 s` as milliseconds. */
function milliseconds(text: string): number {
  const [value = '', unit] = text.split(' ');
  return unit === 's' ? Number(value) * 1000 : Number(value);
}

/** The first match of `pattern` in the output, or a failure that shows the whole output. */
function line(output: string, pattern: RegExp): RegExpMatchArray {
  const match = pattern.exec(output);
  if (match === null) throw new Error(`no line matching ${String(pattern)} in the demo's output:\n${output}`);
  return match;
}

/** Everything the narrative must say, checked against each other (pids, workers, epochs). */
function expectTheStory(result: CommandResult): void {
  const output = result.stdout;
  expect(result.code, `exit code; stderr:\n${result.stderr}\nstdout:\n${output}`).toBe(0);

  const ready = line(output, /3 workers ready \(pids (\d+), (\d+), (\d+)\)/);
  const pids = ready.slice(1, 4).map(Number);
  const elected = line(output, /leader elected: worker (\d) \(pid (\d+), (gcs-default-\S+)\), epoch 1, /);
  expect(Number(elected[2])).toBe(pids[Number(elected[1]) - 1]);
  line(output, /all 3 workers agree on the leader after /);

  const jobs = line(output, /(\d+) jobs processed in \S+ \S+ across 3 workers \(worker 1: (\d+), worker 2: (\d+), worker 3: (\d+)\)/);
  expect(Number(jobs[1])).toBe(FAST_JOBS);
  expect(Number(jobs[2]) + Number(jobs[3]) + Number(jobs[4])).toBe(FAST_JOBS);
  line(output, new RegExp(`each job exactly once: ${FAST_JOBS} handler runs, ${FAST_JOBS} completions, and ${FAST_JOBS} records 'completed' in the store`));

  line(output, /── 3\. TTL records expiring ──\n.*the narrator set 6 records with a \S+ m?s TTL in collection "sessions" and extended one of them \(session-kept\)/);
  const swept = line(output, /5 records expired and deleted by the leader, worker (\d), /);
  expect(swept[1]).toBe(elected[1]);
  line(output, /session-kept, extended before it expired, survived every sweep: get\(\) still returns it/);

  const killed = line(output, /SIGKILL to the leader, worker (\d) \(pid (\d+), epoch 1\)/);
  expect(killed[1]).toBe(elected[1]);
  const bound = `${(FAST_FAILOVER_BOUND_MS / 1000).toFixed(2)} s`;
  const failover = line(output, new RegExp(`new leader: worker (\\d) \\(pid \\d+\\), epoch 2, (\\S+ m?s) after the kill \\(bound: leaseTimeout \\+ heartbeatInterval = ${bound}\\): within the bound`));
  expect(failover[1]).not.toBe(killed[1]);
  // The measurement includes what the bound does not count (a round trip, timer lateness, the
  // report reaching the narrator): the demo allows FAILOVER_ALLOWANCE_MS for it, and says so.
  const failoverMs = milliseconds(failover[2] ?? '');
  expect(failoverMs).toBeLessThanOrEqual(FAST_FAILOVER_BOUND_MS + FAILOVER_ALLOWANCE_MS);
  if (failoverMs > FAST_FAILOVER_BOUND_MS) line(output, new RegExp(`: within the bound plus the ${FAILOVER_ALLOWANCE_MS} ms allowed for a round trip and timer lateness`));
  line(output, /the queue goes on: a job enqueued now was processed by worker \d/);

  const stopped = line(output, /SIGTERM to the leader, worker (\d) \(pid \d+, epoch 2\)/);
  expect(stopped[1]).toBe(failover[1]);
  const handover = line(output, /new leader: worker (\d) \(pid \d+\), epoch 3, (\S+ m?s) after the SIGTERM/);
  expect([killed[1], stopped[1]]).not.toContain(handover[1]);
  // Well under a lease expiry: the lease was released, not left to expire.
  expect(milliseconds(handover[2] ?? '')).toBeLessThan(FAST_LEASE_TIMEOUT_MS);
  line(output, new RegExp(`worker ${stopped[1] ?? '?'} exited with code 0 after releasing its lease`));

  line(output, /── 6\. baton doctor ──\n.*running: baton doctor --namespace default /);
  line(output, /│ baton doctor: namespace default on (file|s3):\/\/\S+ .*\(store-only, 3 samples over /);
  line(output, /│ {3}✓ Multiple leaders/);
  line(output, /│ {3}✓ Conditional writes enforced/);
  line(output, /baton doctor: (healthy \(exit 0\)|one warning, as expected — the registration of the worker killed with SIGKILL \(gcs-default-\S+\) has expired)/);

  line(output, new RegExp(`all 3 worker processes have exited \\(pids ${pids.join(', ')}\\)`));
  line(output, /✓ demo complete in /);
  expect(output).not.toMatch(/FAILED/);
  for (const pid of pids) expect(isRunning(pid), `worker pid ${pid} still running`).toBe(false);
}

describe('the demo', () => {
  it('tells the whole story on the file store and exits 0, leaving no process behind', async () => {
    const result = await runDemo({ BATON_URL: `file://${join(scratch, 'store')}` });
    expectTheStory(result);
  });

  it('refuses a store that worker processes cannot share, before starting anything', async () => {
    const result = await runDemo({ BATON_URL: 'memory://demo' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('BATON_URL must be a file:// or s3:// connection string');
    expect(result.stdout).not.toContain('workers ready');
  });

  it('says what failed and exits 1 when the store cannot be opened', async () => {
    const blocked = join(scratch, 'not-a-directory');
    writeFileSync(blocked, 'a file, not a directory');
    const result = await runDemo({ BATON_URL: `file://${blocked}/store` });
    expect(result.code).toBe(1);
    line(result.stdout, /✗ DEMO FAILED: cannot open the store: Cannot use \S+ as a store directory/);
    line(result.stdout, /no worker process was started/);
    expect(result.stdout).not.toContain('✓ demo complete');
  });
});

const target = s3TestTarget();

describe.skipIf(target === undefined)('the demo on a real S3 (Ceph RGW)', () => {
  let bucket: TestBucket | undefined;
  beforeAll(async () => {
    if (target !== undefined) bucket = await createTestBucket(target, { namePrefix: 'baton-demo' });
  });
  afterAll(() => bucket?.remove());

  /** The bucket's connection string, with other credentials if given. */
  function bucketUrl(credentials: { secretAccessKey?: string } = {}): string {
    if (target === undefined || bucket === undefined) throw new Error('beforeAll did not create the bucket');
    return s3ConnectionString({ ...target, ...credentials }, bucket.name, '');
  }

  it('tells the same story with BATON_URL=s3://… and removes what it wrote', async () => {
    const result = await runDemo({ BATON_URL: bucketUrl() });
    expectTheStory(result);
    line(result.stdout, /removed this run's \d+ objects under baton-demo-\S+\/ from the bucket/);
  });

  it('says which worker failed to start, and why, when the credentials are wrong', async () => {
    const result = await runDemo({ BATON_URL: bucketUrl({ secretAccessKey: 'not-the-secret' }) });
    expect(result.code).toBe(1);
    const failed = line(result.stdout, /✗ DEMO FAILED: worker \d \(pid \d+\) failed to start: (.*)/);
    expect(failed[1]).toMatch(/Cannot write to the store|denied|Forbidden|signature/i);
    const pids = line(result.stdout, /all 3 worker processes have exited \(pids ([\d, ]+)\)/)[1]?.split(', ').map(Number) ?? [];
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });
});
