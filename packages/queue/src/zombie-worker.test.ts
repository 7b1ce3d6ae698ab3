// A zombie worker across real OS processes (src/fixtures/queue-worker.ts), on the file store and on
// a real S3 (Ceph RGW): a worker is frozen with SIGSTOP mid-job for longer than the visibility
// timeout, the leader takes the job back, another worker completes it, and only then is the
// zombie thawed with SIGCONT. What it writes next — a heartbeat, or the completion of a handler
// that ignored its abort signal — must be refused (`ClaimLostError`, seen as `job:claim-lost`),
// and must leave the record and its history as the other worker wrote them: one completed run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type ObjectStore } from '@baton/storage';
import { createTestBucket, s3TestTarget, type TestBucket } from '@tooling/s3-test-server/target';
import { s3ConnectionString } from '@tooling/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QueueCluster, type QueueWorkerConfig, type QueueWorkerEvent, type QueueWorkerJob } from './fixtures/queue-cluster';
import { Queue } from './queue';
import { QueueKeys } from './queue-keys';

const TIMINGS = { heartbeatInterval: 100, leaseTimeout: 800, workerTimeout: 1000 };
// The worker heartbeats every third of it (666 ms): long enough that a SIGSTOP sent on the
// handler's `start` lands before the first heartbeat, and before the short handler below ends.
const VISIBILITY_TIMEOUT_MS = 2000;
const PROCESSES = 3;
const STOP_AFTER_START_MS = 100;
const QUEUE = 'zombie';
/** What the zombie writes first once thawed, and the job that makes it so. */
const VARIANTS: { write: 'heartbeat' | 'completion'; job: QueueWorkerJob; zombieEnd: 'ok' | 'aborted' }[] = [
  // A long first attempt: thawed, its overdue heartbeat fires first (before the lease deadline).
  { write: 'heartbeat', job: { firstAttemptSleepMs: 4000, sleepMs: 20 }, zombieEnd: 'aborted' },
  // A first attempt shorter than the heartbeat interval, deaf to its signal: thawed, the handler
  // returns before any heartbeat is due, so the first write is the completion itself.
  { write: 'completion', job: { firstAttemptSleepMs: 400, sleepMs: 20, ignoreAbort: true }, zombieEnd: 'ok' },
];

const scratch = mkdtempSync(join(tmpdir(), 'baton-queue-zombie-'));
const clusters: QueueCluster[] = [];
const stores: ObjectStore[] = [];
let runs = 0;

afterEach(async () => {
  // Every process of the test ends here (stopped ones too), whatever happened.
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stopAll()));
  for (const store of stores.splice(0)) (store as { destroy?: () => void }).destroy?.();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The events of `type` about job `id` (from every process's file: the complete record). */
function eventsAbout<Type extends QueueWorkerEvent['type']>(cluster: QueueCluster, type: Type, id: string): Extract<QueueWorkerEvent, { type: Type }>[] {
  return cluster.fileEvents().filter((event): event is Extract<QueueWorkerEvent, { type: Type }> => event.type === type && 'id' in event && event.id === id);
}

function zombieTests(backend: string, connectionString: (run: string) => string): void {
  for (const variant of VARIANTS) {
    it(`a worker frozen (SIGSTOP) past its visibility timeout and thawed after another worker completed its job: its ${variant.write} is refused and the record is untouched`, async () => {
      runs += 1;
      const url = connectionString(`run-${runs}`);
      const config: QueueWorkerConfig = { queueName: QUEUE, concurrency: 1, visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, pollIntervalMs: 50, timings: TIMINGS };
      const cluster = new QueueCluster({ url, directory: join(scratch, backend, `run-${runs}`), config });
      clusters.push(cluster);
      const store = await createStore(url);
      stores.push(store);
      // The test's own queue object only enqueues and reads.
      const queue = new Queue({ store, name: QUEUE, visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS });
      const keys = new QueueKeys(QUEUE);

      await cluster.start(PROCESSES);
      const leader = await cluster.waitFor('a leader', 10_000, () => cluster.leader());
      // One job per process, so that a process other than the leader is sure to get one.
      const ids = await queue.enqueueMany(Array.from({ length: PROCESSES }, () => ({ data: variant.job })));
      const { zombie, id } = await cluster.waitFor('a worker other than the leader to start a job', 10_000, () => {
        for (const worker of cluster.workers) {
          if (worker === leader) continue;
          const start = worker.events.find((event) => event.type === 'start');
          if (start?.type === 'start') return { zombie: worker, id: start.id };
        }
        return undefined;
      });
      // Frozen a little after the handler started, so that its sleep is under way (a process frozen
      // before its timer is armed counts the sleep from the thaw), well before its first heartbeat.
      await new Promise((resolve) => setTimeout(resolve, STOP_AFTER_START_MS));
      cluster.signal(zombie, 'SIGSTOP');

      // The leader takes the job back, and another process runs its second attempt to the end.
      const completion = await cluster.waitFor(`job ${id} to be completed by another worker`, 20_000, () =>
        cluster.workers.flatMap((worker) => worker.events).find((event): event is Extract<QueueWorkerEvent, { type: 'completed' }> => event.type === 'completed' && event.id === id),
      );
      expect(completion.pid).not.toBe(zombie.pid);
      expect(completion.attempt).toBe(2);
      const before = await store.get(keys.job(id));

      cluster.signal(zombie, 'SIGCONT');
      await cluster.waitFor(`the thawed zombie to be refused and to finish its handler`, 10_000, () => {
        const lost = zombie.events.some((event) => event.type === 'claim-lost' && event.id === id);
        const ended = zombie.events.some((event) => event.type === 'end' && event.id === id);
        return lost && ended ? true : undefined;
      });
      // Whatever the zombie still had queued for this claim (a failure record after its abort, a
      // marker) is sent right after those events: give it time to land before judging the record.
      await new Promise((resolve) => setTimeout(resolve, 300));

      const zombieEvents = zombie.events.filter((event) => 'id' in event && event.id === id).map((event) => (event.type === 'end' ? `end ${event.outcome}` : event.type));
      // A refused heartbeat and the local lease deadline race to abort the handler; a completion is
      // refused only after the handler ended.
      if (variant.write === 'heartbeat') expect(zombieEvents.toSorted(), 'what the zombie reported about its job').toEqual(['claim-lost', `end ${variant.zombieEnd}`, 'start']);
      else expect(zombieEvents, 'what the zombie reported about its job').toEqual(['start', `end ${variant.zombieEnd}`, 'claim-lost']);
      const after = await store.get(keys.job(id));
      expect(after?.etag, 'the record after the zombie woke up').toBe(before?.etag);
      expect(new TextDecoder().decode(after?.body)).toBe(new TextDecoder().decode(before?.body));
      const job = await queue.getJob(id);
      expect(job).toMatchObject({ state: 'completed', attempt: 2, result: { by: completion.workerId, attempt: 2 } });
      expect(job?.history.map((entry) => entry.outcome)).toEqual(['expired']);
      expect(eventsAbout(cluster, 'completed', id).map((event) => event.pid), 'completions of the job').toEqual([completion.pid]);
      const expiries = eventsAbout(cluster, 'expired', id);
      expect(expiries.length).toBe(1);
      expect(expiries[0]?.pid).not.toBe(zombie.pid);

      // The other jobs were not disturbed, and no process crashed.
      for (const other of ids.filter((candidate) => candidate !== id)) {
        await cluster.waitFor(`job ${other} to complete`, 10_000, () => (eventsAbout(cluster, 'completed', other).length > 0 ? true : undefined));
        expect(eventsAbout(cluster, 'completed', other).length).toBe(1);
      }
      expect(cluster.fileEvents().filter((event) => event.type === 'fatal')).toEqual([]);
      console.log(`[${backend}] zombie ${variant.write}: refused; job ${id} completed once, by pid ${completion.pid} (zombie pid ${zombie.pid}, leader pid ${leader.pid})`);
    });
  }
}

describe('a zombie queue worker on file://', () => {
  zombieTests('file', (run) => `file://${join(scratch, 'file-stores', run)}`);
});

const target = s3TestTarget();

// On a real Ceph RGW (or S3_TEST_ENDPOINT). Skipped only outside CI when no S3 server could be
// started (the globalSetup then prints why); in CI that fails the run instead.
describe.skipIf(target === undefined)('a zombie queue worker on S3 (Ceph RGW)', () => {
  let bucket: TestBucket | undefined;
  beforeAll(async () => {
    if (target === undefined) return;
    bucket = await createTestBucket(target, { namePrefix: 'queue-zombie' });
  });
  afterAll(async () => {
    await bucket?.remove();
  });

  zombieTests('s3', (run) => {
    if (target === undefined || bucket === undefined) throw new Error('beforeAll did not create the bucket');
    return s3ConnectionString(target, bucket.name, run);
  });
});
