// The queue across real OS processes (src/fixtures/queue-worker.ts), on the file store and on a
// real S3 (Ceph RGW): three processes × concurrency 2 share one queue; one of them leads and runs
// the leader duties. Each process records when every handler started and ended, with
// CLOCK_MONOTONIC stamps shared by every process on the host, so the checks below can compare
// them across processes — including the last moments of processes killed with SIGKILL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type ObjectStore } from '@baton/storage';
import { createTestBucket, s3TestTarget, type TestBucket } from '@tooling/s3-test-server/target';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { s3ConnectionString } from '@tooling/test-support';
import { QueueCluster, type QueueClusterWorker, type QueueWorkerConfig, type QueueWorkerEvent, type QueueWorkerJob } from './fixtures/queue-cluster';
import { Queue, type JobInfo } from './queue';

// Short timings keep the file fast: a crashed worker's job is back within a second or two.
const TIMINGS = { heartbeatInterval: 100, leaseTimeout: 800, workerTimeout: 1000 };
const VISIBILITY_TIMEOUT_MS = 800;
const PROCESSES = 3;
const CONCURRENCY = 2;
const QUEUE = 'multi-process';
// A first attempt long enough to be caught mid-job, and to outlast the recovery of the others.
const LONG_FIRST_ATTEMPT: QueueWorkerJob = { firstAttemptSleepMs: 2500, sleepMs: 20 };

const scratch = mkdtempSync(join(tmpdir(), 'baton-queue-multi-process-'));
const clusters: QueueCluster[] = [];
const stores: ObjectStore[] = [];
let runs = 0;

afterEach(async () => {
  // Every process of the test ends here, whatever happened.
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stopAll()));
  for (const store of stores.splice(0)) (store as { destroy?: () => void }).destroy?.();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Start = Extract<QueueWorkerEvent, { type: 'start' }>;
type End = Extract<QueueWorkerEvent, { type: 'end' }>;

/** One handler run: from its `start` to its `end` (or to the kill of its process, or forever). */
interface Run {
  id: string;
  attempt: number;
  pid: number;
  from: bigint;
  to: bigint;
}

const FOREVER = 2n ** 63n;

/** Every handler run recorded in the files; a run without an end lasts until its process was killed. */
function runsOf(cluster: QueueCluster): Run[] {
  const events = cluster.fileEvents();
  const ends = new Map<string, End>();
  for (const event of events) if (event.type === 'end') ends.set(`${event.pid}/${event.id}/${event.attempt}`, event);
  return events
    .filter((event): event is Start => event.type === 'start')
    .map((start) => {
      const end = ends.get(`${start.pid}/${start.id}/${start.attempt}`);
      const killedAt = cluster.workers.find((worker) => worker.pid === start.pid)?.killedAt;
      return { id: start.id, attempt: start.attempt, pid: start.pid, from: BigInt(start.t), to: end === undefined ? (killedAt ?? FOREVER) : BigInt(end.t) };
    });
}

/** Pairs of runs of one job, by different claims, whose intervals overlap: must be none. */
function overlaps(runs: readonly Run[]): string[] {
  const found: string[] = [];
  const byJob = new Map<string, Run[]>();
  for (const run of runs) byJob.set(run.id, [...(byJob.get(run.id) ?? []), run]);
  for (const [id, jobRuns] of byJob) {
    for (const [index, left] of jobRuns.entries()) {
      for (const right of jobRuns.slice(index + 1)) {
        const sameClaim = left.pid === right.pid && left.attempt === right.attempt;
        if (!sameClaim && left.from < right.to && right.from < left.to) found.push(`${id}: attempt ${left.attempt} (pid ${left.pid}) and attempt ${right.attempt} (pid ${right.pid})`);
      }
    }
  }
  return found;
}

/** How many events of `type` each job has in the files. */
function countBy(cluster: QueueCluster, type: 'completed' | 'end'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of cluster.fileEvents()) {
    if (event.type !== type || (event.type === 'end' && event.outcome !== 'ok')) continue;
    counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
  }
  return counts;
}

/** The ids a worker started and had not finished (by its IPC events). */
function inFlight(worker: QueueClusterWorker): string[] {
  const ended = new Set(worker.events.flatMap((event) => (event.type === 'end' ? [`${event.id}/${event.attempt}`] : [])));
  return worker.events.flatMap((event) => (event.type === 'start' && !ended.has(`${event.id}/${event.attempt}`) ? [event.id] : []));
}

function queueTests(backend: string, connectionString: (run: string) => string): void {
  async function setUp(): Promise<{ cluster: QueueCluster; queue: Queue }> {
    runs += 1;
    const url = connectionString(`run-${runs}`);
    const config: QueueWorkerConfig = { queueName: QUEUE, concurrency: CONCURRENCY, visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, pollIntervalMs: 50, timings: TIMINGS };
    const cluster = new QueueCluster({ url, directory: join(scratch, backend, `run-${runs}`), config });
    clusters.push(cluster);
    // The test's own queue object only enqueues and reads; it never processes or leads.
    const store = await createStore(url);
    stores.push(store);
    return { cluster, queue: new Queue({ store, name: QUEUE, visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS }) };
  }

  async function jobsOf(queue: Queue, ids: readonly string[]): Promise<Map<string, JobInfo | undefined>> {
    return new Map(await Promise.all(ids.map(async (id) => [id, await queue.getJob(id)] as const)));
  }

  function waitForCompletions(cluster: QueueCluster, ids: readonly string[], timeoutMs: number): Promise<true> {
    return cluster.waitFor(`all ${ids.length} jobs completed`, timeoutMs, () => {
      const done = new Set(cluster.workers.flatMap((worker) => worker.events.flatMap((event) => (event.type === 'completed' ? [event.id] : []))));
      return ids.every((id) => done.has(id)) ? true : undefined;
    });
  }

  /** Every job completed exactly once, and no job ran in two places at once. */
  async function expectExactlyOnce(cluster: QueueCluster, queue: Queue, ids: readonly string[]): Promise<Map<string, JobInfo | undefined>> {
    const jobs = await jobsOf(queue, ids);
    expect([...jobs.values()].filter((job) => job?.state !== 'completed').map((job) => `${job?.id ?? '?'}: ${job?.state ?? 'missing'}`)).toEqual([]);
    const completed = countBy(cluster, 'completed');
    expect(ids.filter((id) => completed.get(id) !== 1), 'jobs not completed exactly once').toEqual([]);
    expect(overlaps(runsOf(cluster)), 'runs of one job by different claims that overlapped in time').toEqual([]);
    expect(cluster.fileEvents().filter((event) => event.type === 'fatal')).toEqual([]);
    return jobs;
  }

  it(`${PROCESSES} processes × concurrency ${CONCURRENCY} complete 60 jobs, each exactly once, never two runs of one job at a time`, async () => {
    const { cluster, queue } = await setUp();
    await cluster.start(PROCESSES);
    const ids = await queue.enqueueMany(Array.from({ length: 60 }, (_value, index) => ({ data: { sleepMs: 10 + (index % 4) * 10 } })));
    await waitForCompletions(cluster, ids, 30_000);
    const jobs = await expectExactlyOnce(cluster, queue, ids);
    expect([...jobs.values()].every((job) => job?.attempt === 1)).toBe(true);
    const ends = countBy(cluster, 'end');
    expect(ids.filter((id) => ends.get(id) !== 1), 'jobs whose handler did not finish exactly once').toEqual([]);
    const busy = cluster.workers.filter((worker) => worker.events.some((event) => event.type === 'start'));
    console.log(`[${backend}] 60 jobs on ${busy.length} of ${PROCESSES} processes; runs per process: ${cluster.workers.map((worker) => worker.events.filter((event) => event.type === 'start').length).join(', ')}`);
  });

  for (const victim of ['a worker', 'the leader'] as const) {
    it(`kill -9 of ${victim} mid-job: its in-flight jobs are recovered by the (new) leader after the visibility timeout and completed exactly once`, async () => {
      const { cluster, queue } = await setUp();
      await cluster.start(PROCESSES);
      const leader = await cluster.waitFor('a leader', 10_000, () => cluster.leader());
      // One long first attempt per slot: every process ends up holding two of them.
      const ids = await queue.enqueueMany(Array.from({ length: PROCESSES * CONCURRENCY }, () => ({ data: LONG_FIRST_ATTEMPT })));
      const killed =
        victim === 'the leader'
          ? leader
          : (cluster.workers.find((worker) => worker !== leader) as QueueClusterWorker);
      const lost = await cluster.waitFor(`${victim} to be mid-job`, 10_000, () => {
        const running = inFlight(killed);
        return running.length === CONCURRENCY ? running : undefined;
      });
      const killedAt = cluster.signal(killed, 'SIGKILL');
      await killed.exit;

      await waitForCompletions(cluster, ids, 20_000);
      const jobs = await expectExactlyOnce(cluster, queue, ids);
      const ends = countBy(cluster, 'end');
      for (const id of lost) {
        const job = jobs.get(id);
        expect(job?.attempt, `attempts of ${id}, which the killed process held`).toBe(2);
        expect(job?.history.map((entry) => entry.outcome)).toEqual(['expired']);
        expect(ends.get(id), `finished handler runs of ${id}`).toBe(1);
      }
      for (const id of ids.filter((candidate) => !lost.includes(candidate))) expect(jobs.get(id)?.attempt).toBe(1);

      // Taken back by the leader of the time: a new one when the leader was killed.
      const expiries = cluster.fileEvents().filter((event): event is Extract<QueueWorkerEvent, { type: 'expired' }> => event.type === 'expired');
      expect(expiries.map((event) => event.id).sort()).toEqual([...lost].sort());
      const recoverers = new Set(expiries.map((event) => event.pid));
      expect(recoverers.size).toBe(1);
      expect(recoverers.has(killed.pid)).toBe(false);
      if (victim === 'the leader') {
        const successor = cluster.fileEvents().find((event) => event.type === 'acquired' && event.pid !== killed.pid && BigInt(event.t) > killedAt);
        expect(successor, 'a new leader after the kill').toBeDefined();
        expect(recoverers.has(successor?.pid ?? -1)).toBe(true);
      } else {
        expect(recoverers.has(leader.pid)).toBe(true);
      }
      // When the leader took them back (the re-runs themselves wait for a free slot).
      const expiredAfterMs = Math.max(...expiries.map((event) => Number(BigInt(event.t) - killedAt) / 1e6));
      console.log(`[${backend}] kill -9 of ${victim}: its ${lost.length} jobs were taken back ${expiredAfterMs.toFixed(0)} ms after the kill (visibility timeout ${VISIBILITY_TIMEOUT_MS} ms, lease ${TIMINGS.leaseTimeout} ms)`);
    });
  }

  it('SIGTERM of a worker with jobs in flight: it finishes them and exits 0; nothing is lost', async () => {
    const { cluster, queue } = await setUp();
    await cluster.start(PROCESSES);
    const ids = await queue.enqueueMany(Array.from({ length: 18 }, () => ({ data: { sleepMs: 400 } })));
    const stopped = cluster.workers[0] as QueueClusterWorker;
    const running = await cluster.waitFor('the worker to be mid-job', 10_000, () => {
      const current = inFlight(stopped);
      return current.length > 0 ? current : undefined;
    });
    cluster.signal(stopped, 'SIGTERM');
    expect(await stopped.exit).toEqual({ code: 0, signal: null });
    await waitForCompletions(cluster, ids, 20_000);
    const jobs = await expectExactlyOnce(cluster, queue, ids);
    // Its in-flight jobs were finished by it, during the shutdown grace, on their first attempt.
    for (const id of running) {
      expect(jobs.get(id)?.attempt).toBe(1);
      expect(stopped.events.some((event) => event.type === 'completed' && event.id === id)).toBe(true);
    }
    const ends = countBy(cluster, 'end');
    expect(ids.filter((id) => ends.get(id) !== 1), 'jobs whose handler did not finish exactly once').toEqual([]);
    const stopping = stopped.events.find((event) => event.type === 'stopping');
    expect(stopped.events.filter((event) => event.type === 'start' && stopping !== undefined && BigInt(event.t) > BigInt(stopping.t)), 'jobs it started after SIGTERM').toEqual([]);
  });
}

describe('the queue across OS processes on file://', () => {
  queueTests('file', (run) => `file://${join(scratch, 'file-stores', run)}`);
});

const target = s3TestTarget();

// On a real Ceph RGW (or S3_TEST_ENDPOINT). Skipped only outside CI when no S3 server could be
// started (the globalSetup then prints why); in CI that fails the run instead.
describe.skipIf(target === undefined)('the queue across OS processes on S3 (Ceph RGW)', () => {
  let bucket: TestBucket | undefined;
  beforeAll(async () => {
    if (target === undefined) return;
    bucket = await createTestBucket(target, { namePrefix: 'queue-multi-process' });
  });
  afterAll(async () => {
    await bucket?.remove();
  });

  queueTests('s3', (run) => {
    if (target === undefined || bucket === undefined) throw new Error('beforeAll did not create the bucket');
    return s3ConnectionString(target, bucket.name, run);
  });
});
