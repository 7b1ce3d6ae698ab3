import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, LEASE_RECORD_FORMAT, MAX_EPOCH, namespaceKeys, parseLeaseRecord, pluginElectionKeys, type Hub } from '@baton/coordinator-core';
import { createStore } from '@baton/storage';
import { createTestBucket, s3TestTarget, type TestBucket } from '@tooling/s3-test-server/target';
import { s3ConnectionString } from '@tooling/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openHub, type OpenedHub } from '../open-hub';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
// Long enough that a starved event loop (2 shared cores, parallel test files) never costs the lease.
const TIMINGS = { heartbeatInterval: 1000, leaseTimeout: 5000, workerTimeout: 8000 };
const TIMING_FLAGS = ['--heartbeat-interval', '1000', '--lease-timeout', '5000', '--worker-timeout', '8000'];
const scratch = mkdtempSync(join(tmpdir(), 'baton-cli-'));
let directoryCount = 0;
const hubs: Hub[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `baton` binary as a child process. */
function baton(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

function freshStore(): string {
  directoryCount += 1;
  return `file://${join(scratch, `store-${directoryCount}`)}`;
}

async function workerOn(url: string): Promise<string> {
  const hub = await connect(url, { globalCoordinator: TIMINGS });
  hubs.push(hub);
  return (await hub.getGlobalCoordinator('default')).workerId;
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm --filter @baton/diagnostics build\` first (turbo does it before test)`);
});
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('baton CLI (as a process, on file:// stores)', () => {
  it('doctor: exit 0 and the stable JSON shape for a healthy namespace', async () => {
    const url = freshStore();
    await workerOn(url);
    const run = await baton(['doctor', '--url', url, '--json', '--window', '300', '--samples', '2', ...TIMING_FLAGS]);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as Record<string, unknown> & { checks: { id: string; status: string }[] };
    expect(Object.keys(report)).toEqual(['format', 'namespace', 'store', 'scope', 'generatedAt', 'window', 'status', 'exitCode', 'checks', 'findings']);
    expect(report).toMatchObject({ format: 'baton.diagnostics/v1', namespace: 'default', scope: 'store-only', status: 'healthy', exitCode: 0, findings: [] });
    expect(report.checks.map((check) => check.id)).toHaveLength(17);
    expect(run.code).toBe(0);
  });

  it('doctor: exit 1 for warnings, 2 for errors, with readable text', async () => {
    const empty = await baton(['doctor', '--url', freshStore(), '--window', '0', '--samples', '1']);
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain('[warning] service-start.namespace-empty');
    expect(empty.stdout).toContain('Status: warning (exit 1)');

    const url = freshStore();
    const store = await createStore(url);
    await store.put(namespaceKeys('default').state, 'not a lease record');
    const corrupted = await baton(['doctor', '--url', url, '--window', '0', '--samples', '1']);
    expect(corrupted.code).toBe(2);
    expect(corrupted.stdout).toContain('leadership-transfer.corrupted-record');
    expect(corrupted.stdout).toContain('Fix: Run `baton reset-leader --yes`');
  });

  it('status and workers: leader, epoch, lease remaining and the workers table', async () => {
    const url = freshStore();
    const workerId = await workerOn(url);
    const text = await baton(['status', '--url', url, ...TIMING_FLAGS]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`held by ${workerId} (epoch 1)`);
    expect(text.stdout).toMatch(/WORKER\s+HOST\s+PID\s+EPOCH\s+AGE\s+STATUS\s+LEADER/);
    const json = JSON.parse((await baton(['status', '--url', url, '--json', ...TIMING_FLAGS])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ format: 'baton.status/v1', lease: 'held', leader: workerId, epoch: 1, leaseTimeout: 5000, workers: [{ workerId, leader: true, status: 'alive' }] });
    expect(json.leaseRemainingMs).toEqual(expect.any(Number));
    const workers = await baton(['workers', '--url', url, '--json', ...TIMING_FLAGS]);
    expect(JSON.parse(workers.stdout)).toMatchObject({ format: 'baton.workers/v1', workers: [{ workerId, pid: process.pid }] });
    expect(workers.code).toBe(0);
  });

  it('reset-leader: refuses without --yes; with it ends the term by an epoch bump, and replaces a corrupted record', async () => {
    const url = freshStore();
    await workerOn(url);
    const refused = await baton(['reset-leader', '--url', url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --yes');

    const reset = await baton(['reset-leader', '--url', url, '--yes', '--operator', 'ops', '--json', ...TIMING_FLAGS]);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ format: 'baton.reset/v1', outcome: 'reset', previous: { epoch: 1 }, written: { epoch: 2, leaseTimeout: 5000 } });
    const store = await createStore(url);
    const stored = await store.get(namespaceKeys('default').state);
    const parsed = stored === undefined ? undefined : parseLeaseRecord(stored.body);
    expect(parsed?.valid === true ? parsed.record.leader : undefined).toMatch(/^reset:ops-/);

    const broken = freshStore();
    await (await createStore(broken)).put(namespaceKeys('default').state, '{');
    const cleared = await baton(['reset-leader', '--url', broken, '--yes']);
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toContain('the corrupted lease record');
  });

  it("doctor names an out-of-domain plugin lease and an unreadable job record with their keys and fixes; reset-leader --plugin gets past the lease", async () => {
    const url = freshStore();
    await workerOn(url);
    const store = await createStore(url);
    const plugin = pluginElectionKeys('billing');
    const forged = { format: LEASE_RECORD_FORMAT, namespace: 'billing', leader: 'gcs-billing-1-x', epoch: MAX_EPOCH + 1, renewals: 1, leaseTimeout: 20_000, previousLeader: null, acquiredAt: 0, renewedAt: 0 };
    await store.put(plugin.state, JSON.stringify(forged));
    await store.put('queues/orders/jobs/broken.json', 'garbage');
    const doctor = await baton(['doctor', '--url', url, '--window', '0', '--samples', '1', '--plugin', 'billing', ...TIMING_FLAGS]);
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toContain('[error] epoch-domain.lease-record');
    expect(doctor.stdout).toContain(`${plugin.state} (the lease of plugin billing) claims epoch ${MAX_EPOCH + 1}`);
    expect(doctor.stdout).toContain('Fix: Run `baton reset-leader --yes --plugin billing`');
    expect(doctor.stdout).toContain('[warning] unreadable-objects.queue-job-records');
    expect(doctor.stdout).toContain('    Keys: queues/orders/jobs/broken.json\n');

    const reset = await baton(['reset-leader', '--url', url, '--yes', '--plugin', 'billing', '--json', ...TIMING_FLAGS]);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ outcome: 'reset', namespace: 'billing', key: plugin.state, written: { epoch: 1, leaseTimeout: 5000 } });
    const stored = await store.get(plugin.state);
    const parsed = stored === undefined ? undefined : parseLeaseRecord(stored.body);
    const record = parsed?.valid === true ? parsed.record : undefined;
    expect(record?.namespace).toBe('billing');
    expect(record?.leader).toMatch(/^reset:operator-/);
    const again = await baton(['doctor', '--url', url, '--json', '--window', '0', '--samples', '1', '--plugin', 'billing', ...TIMING_FLAGS]);
    expect((JSON.parse(again.stdout) as { findings: { id: string }[] }).findings.map((finding) => finding.id)).toEqual(['unreadable-objects.queue-job-records']);
  });

  it('clear-corrupted: removes unreadable registrations as read and leaves a valid lease alone; refuses without --yes', async () => {
    const url = freshStore();
    const workerId = await workerOn(url);
    const store = await createStore(url);
    const keys = namespaceKeys('default');
    await store.put(keys.worker('gcs-default-1-broken'), '{');
    const before = await store.get(keys.state);
    expect((await baton(['clear-corrupted', '--url', url])).code).toBe(2);
    const cleared = await baton(['clear-corrupted', '--url', url, '--yes', ...TIMING_FLAGS]);
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toContain(`The lease record of namespace default is valid (${workerId}, epoch 1): left alone.`);
    expect(cleared.stdout).toContain('Removed unreadable registrations: gcs-default-1-broken');
    expect(await store.get(keys.worker('gcs-default-1-broken'))).toBeUndefined();
    const after = await store.get(keys.state);
    const leader = (stored: typeof after) => {
      const parsed = stored === undefined ? undefined : parseLeaseRecord(stored.body);
      return parsed?.valid === true ? [parsed.record.leader, parsed.record.epoch] : undefined;
    };
    expect(leader(after)).toEqual(leader(before));
  });

  it('iam-policy, metrics and verify-storage --quick', async () => {
    const policy = await baton(['iam-policy', '--bucket', 'my-bucket', '--prefix', 'team/baton']);
    expect(policy.code).toBe(0);
    expect(JSON.parse(policy.stdout)).toMatchObject({ Version: '2012-10-17', Statement: [{ Resource: ['arn:aws:s3:::my-bucket/team/baton/plg_coordinator_global/*'] }, {}] });
    expect((await baton(['iam-policy'])).code).toBe(2);
    const full = await baton(['iam-policy', '--bucket', 'my-bucket', '--queue', 'emails', '--ttl', 'sessions']);
    expect((JSON.parse(full.stdout) as { Statement: { Resource: string[] }[] }).Statement[0]?.Resource).toEqual([
      'arn:aws:s3:::my-bucket/plg_coordinator_global/*',
      'arn:aws:s3:::my-bucket/queues/emails/*',
      'arn:aws:s3:::my-bucket/ttl/sessions/*',
    ]);

    const url = freshStore();
    await workerOn(url);
    const metrics = await baton(['metrics', '--url', url, ...TIMING_FLAGS]);
    expect(metrics.code).toBe(0);
    expect(metrics.stdout).toContain('baton_lease_held{namespace="default"} 1');
    expect(metrics.stdout).toContain('baton_workers{namespace="default",status="alive"} 1');

    const verified = await baton(['verify-storage', '--url', url, '--quick', '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ format: 'baton.verify-storage/v1', trusted: true, conformance: [], leftBehind: 0 });
  });

  it('never prints secrets: not from --url, BATON_URL or the AWS environment, not even in errors', async () => {
    const secret = 'Sup3rSecretValue/With+Chars';
    const accessKey = 'AKIAVERYPRIVATEKEY';
    const url = `s3://${accessKey}:${encodeURIComponent(secret)}@my-bucket/prefix?endpoint=http://127.0.0.1:9&region=us-east-1&forcePathStyle=true`;
    const env = { AWS_SECRET_ACCESS_KEY: 'EnvironmentSecret123', AWS_ACCESS_KEY_ID: 'AKIAFROMENVIRONMENT' };
    const runs = [
      await baton(['doctor', '--url', url, '--json', '--window', '0', '--samples', '1', '--no-probe'], env),
      await baton(['doctor', '--window', '0', '--samples', '1', '--no-probe', '--bundle'], { ...env, BATON_URL: url }),
      await baton(['status', '--url', url], env),
      await baton(['status', '--url', `s3://${accessKey}:${encodeURIComponent(secret)}@Bad_Bucket/x`], env),
      await baton(['reset-leader', '--yes', '--url', url], env),
      await baton(['bogus-command', '--url', url], env),
    ];
    const doctor = JSON.parse(runs[0]?.stdout ?? '') as { exitCode: number; findings: { id: string }[] };
    expect(doctor.exitCode).toBe(2);
    expect(doctor.findings.map((finding) => finding.id)).toContain('service-start.store-unreachable');
    for (const run of runs) {
      expect(run.code).toBe(2);
      const output = run.stdout + run.stderr;
      for (const hidden of [secret, encodeURIComponent(secret), accessKey, 'EnvironmentSecret123', 'AKIAFROMENVIRONMENT']) expect(output).not.toContain(hidden);
    }
  });
});

const target = s3TestTarget();

describe.skipIf(target === undefined)('baton CLI on a real S3 (Ceph RGW)', () => {
  let bucket: TestBucket;
  let worker: OpenedHub | undefined;
  beforeAll(async () => {
    bucket = await createTestBucket(target as NonNullable<typeof target>, { namePrefix: 'diagnostics-cli' });
  });
  afterAll(async () => {
    await worker?.close();
    await bucket.remove();
  });

  it('verify-storage tells that the bucket can be trusted, without showing its keys', async () => {
    const url = s3ConnectionString(target as NonNullable<typeof target>, bucket.name, 'verify/');
    const run = await baton(['verify-storage', '--url', url, '--json', '--racers', '4', '--rounds', '1']);
    expect(run.code).toBe(0);
    const verification = JSON.parse(run.stdout) as { trusted: boolean; conformance: { outcome: string }[]; leftBehind: number };
    expect(verification).toMatchObject({ trusted: true, leftBehind: 0 });
    expect(verification.conformance.every((result) => result.outcome === 'pass')).toBe(true);
    expect(run.stdout + run.stderr).not.toContain((target as NonNullable<typeof target>).secretAccessKey);
  });

  it("doctor and status judge a live namespace on the store's own clock (its Date header)", async () => {
    const url = s3ConnectionString(target as NonNullable<typeof target>, bucket.name, 'fleet/');
    worker = await openHub(url, { globalCoordinator: TIMINGS });
    const workerId = (await worker.hub.getGlobalCoordinator('default')).workerId;
    const doctor = await baton(['doctor', '--url', url, '--json', '--window', '400', '--samples', '2', ...TIMING_FLAGS]);
    const report = JSON.parse(doctor.stdout) as { exitCode: number; findings: unknown[]; checks: { id: string; status: string }[] };
    // Only the S3 note: a hand edit of state.json can be reverted by a racing compare-and-swap.
    expect(report.findings).toEqual([expect.objectContaining({ id: 'hand-edits.plain-put-may-be-reverted', severity: 'info' })]);
    expect(report.checks.find((check) => check.id === 'clock-skew')?.status).toBe('pass');
    expect(doctor.code).toBe(0);
    const status = JSON.parse((await baton(['status', '--url', url, '--json', ...TIMING_FLAGS])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ lease: 'held', leader: workerId, clock: 'date-header', workers: [{ workerId, status: 'alive' }] });
  });
});
