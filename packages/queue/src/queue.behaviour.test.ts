import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystemStore, MemoryStore, type ObjectStore } from '@baton/storage';
import { s3TestTarget } from '@tooling/s3-test-server/target';
import { openS3TestStore, type S3TestStore } from '@tooling/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from './queue';
import type { QueueOptions } from './queue-options';
import { FreezableTimers, waitFor } from './test-support/freezable-timers';

const target = s3TestTarget();

/** The behaviour suite, run against each backend. Each test uses its own queue name. */
function behaviourSuite(getStore: () => ObjectStore): void {
  let counter = 0;
  const queueName = (label: string): string => `${label}-${Date.now().toString(36)}-${(counter += 1)}`;
  const fast = (name: string, extra: Partial<QueueOptions> = {}): QueueOptions => ({
    store: getStore(),
    name,
    visibilityTimeoutMs: 600,
    pollIntervalMs: 20,
    retryBaseDelayMs: 0,
    retryMaxDelayMs: 0,
    ...extra,
  });

  it('N workers x concurrency never run one job concurrently, and complete each exactly once', async () => {
    const name = queueName('overlap');
    const producer = new Queue(fast(name));
    const ids = await producer.enqueueMany(Array.from({ length: 30 }, (_value, index) => ({ data: { index } })));
    const running = new Set<string>();
    const completions = new Map<string, number>();
    let overlaps = 0;
    const workers = Array.from({ length: 3 }, (_value, index) => new Queue(fast(name, { workerId: `w${index}` })));
    const processors = workers.map((worker) =>
      worker.process(
        async ({ id }) => {
          if (running.has(id)) overlaps += 1;
          running.add(id);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running.delete(id);
          completions.set(id, (completions.get(id) ?? 0) + 1);
          return { done: id };
        },
        { concurrency: 3 },
      ),
    );
    await waitFor(() => completions.size === ids.length, 30_000, 'every job to complete');
    await Promise.all(processors.map((processor) => processor.stop()));
    expect(overlaps).toBe(0);
    expect([...completions.values()].every((count) => count === 1)).toBe(true);
    const job = await producer.getJob(ids[0] as string);
    expect(job?.state).toBe('completed');
    expect(job?.result).toEqual({ done: ids[0] });
    expect((await producer.stats()).ready).toBe(0);
  });

  it('a crashed worker\'s job is recovered after the visibility timeout and completed exactly once', async () => {
    const name = queueName('crash');
    const frozen = new FreezableTimers();
    const crashing = new Queue(fast(name, { workerId: 'crashing', environment: { timers: frozen } }));
    const jobId = await crashing.enqueue({ work: 1 });
    let started = false;
    const crashed = crashing.process(async () => {
      started = true;
      frozen.freeze(); // the process "dies": no more heartbeats, and the handler never returns
      await new Promise(() => undefined);
    });
    await waitFor(() => started, 10_000, 'the crashing worker to start');
    const leader = new Queue(fast(name, { workerId: 'leader' }));
    const healthy = new Queue(fast(name, { workerId: 'healthy' }));
    const runs: number[] = [];
    const processor = healthy.process(({ attempt }) => {
      runs.push(attempt);
      return 'ok';
    });
    let recovered: string[] = [];
    await waitFor(
      async () => {
        recovered = [...recovered, ...(await leader.recoverExpiredClaims({ epoch: 1 })).recovered];
        return recovered.length > 0;
      },
      20_000,
      'recovery',
    );
    expect(recovered).toEqual([jobId]);
    await waitFor(async () => (await healthy.getJob(jobId))?.state === 'completed', 10_000, 'completion after recovery');
    expect(runs).toEqual([2]);
    const job = await healthy.getJob(jobId);
    expect(job?.history.map((entry) => entry.outcome)).toEqual(['expired']);
    expect(job?.history[0]?.worker).toBe('crashing');
    await processor.stop();
    // The "crashed" processor is never stopped: a dead process does not shut down gracefully.
    expect(crashed.activeCount).toBe(1);
  });

  it('a poison job lands dead after maxAttempts with its history, and redrive makes it ready again', async () => {
    const name = queueName('poison');
    const queue = new Queue(fast(name));
    const dead: string[] = [];
    queue.on('job:dead', ({ id }) => dead.push(id));
    const jobId = await queue.enqueue({ poison: true }, { maxAttempts: 3 });
    const processor = queue.process(({ attempt }) => {
      throw new Error(`boom ${attempt}`);
    });
    await waitFor(() => dead.length === 1, 10_000, 'the dead letter');
    await processor.stop();
    const job = await queue.getJob(jobId);
    expect(job?.state).toBe('dead');
    expect(job?.attempt).toBe(3);
    expect(job?.history.map((entry) => [entry.attempt, entry.outcome, entry.error?.message])).toEqual([
      [1, 'failed', 'boom 1'],
      [2, 'failed', 'boom 2'],
      [3, 'failed', 'boom 3'],
    ]);
    expect(job?.lastError?.message).toBe('boom 3');
    expect((await queue.stats()).dead).toBe(1);
    expect(await queue.redrive()).toEqual([jobId]);
    expect((await queue.getJob(jobId))?.state).toBe('ready');
    expect((await queue.stats()).dead).toBe(0);
    const healed = queue.process(() => 'healed');
    await waitFor(async () => (await queue.getJob(jobId))?.state === 'completed', 10_000, 'the redriven job');
    await healed.stop();
    expect((await queue.getJob(jobId))?.history).toHaveLength(3);
  });

  it('runs ready jobs by priority then enqueue order, and delayed jobs only once promoted', async () => {
    const name = queueName('order');
    let wall = 1_000_000;
    const clock = { monotonicNow: () => performance.now(), wallNow: () => wall };
    const queue = new Queue(fast(name, { environment: { clock } }));
    const low = await queue.enqueue('low');
    wall += 1;
    const high = await queue.enqueue('high', { priority: 5 });
    wall += 1;
    const low2 = await queue.enqueue('low2');
    const later = await queue.enqueue('later', { delayMs: 60_000, priority: 999 });
    expect((await queue.getJob(later))?.state).toBe('delayed');
    const order: string[] = [];
    let processor = queue.process(({ id }) => {
      order.push(id);
    });
    await waitFor(() => order.length === 3, 10_000, 'the ready jobs');
    await processor.stop();
    expect(order).toEqual([high, low, low2]);
    expect((await queue.promoteDueJobs({ epoch: 1 })).promoted).toEqual([]);
    wall += 60_000;
    expect((await queue.promoteDueJobs({ epoch: 1 })).promoted).toEqual([later]);
    processor = queue.process(({ id }) => {
      order.push(id);
    });
    await waitFor(() => order.length === 4, 10_000, 'the promoted job');
    await processor.stop();
    expect(order.at(-1)).toBe(later);
  });

  it('dedupes enqueues with the same idempotency key', async () => {
    const queue = new Queue(fast(queueName('idem')));
    const first = await queue.enqueue({ n: 1 }, { idempotencyKey: 'order-42' });
    const racing = await Promise.all([queue.enqueue({ n: 2 }, { idempotencyKey: 'order-42' }), queue.enqueue({ n: 3 }, { idempotencyKey: 'order-42' })]);
    expect(racing).toEqual([first, first]);
    const other = await queue.enqueue({ n: 4 }, { idempotencyKey: 'order-43' });
    expect(other).not.toBe(first);
    expect((await queue.stats()).total).toBe(2);
    expect((await queue.getJob(first))?.data).toEqual({ n: 1 });
  });

  it('graceful shutdown loses nothing: unfinished jobs are released and completed by another worker', async () => {
    const name = queueName('shutdown');
    const first = new Queue(fast(name, { workerId: 'first', visibilityTimeoutMs: 30_000 }));
    const ids = await first.enqueueMany(Array.from({ length: 6 }, (_value, index) => ({ data: index })));
    const completedBy = new Map<string, string[]>();
    const note = (id: string, worker: string): void => {
      completedBy.set(id, [...(completedBy.get(id) ?? []), worker]);
    };
    let started = 0;
    const slow = first.process(
      async ({ id, signal }) => {
        started += 1;
        const index = ids.indexOf(id);
        // Two finish within the grace; the others wait for the abort.
        await new Promise<void>((resolve, reject) => {
          if (index % 3 === 0) setTimeout(resolve, 50);
          signal.addEventListener('abort', () => {
            reject(signal.reason as Error);
          });
        });
        note(id, 'first');
      },
      { concurrency: 3 },
    );
    await waitFor(() => started >= 3, 10_000, 'three jobs to start');
    await slow.stop({ timeoutMs: 300 });
    const second = new Queue(fast(name, { workerId: 'second', visibilityTimeoutMs: 30_000 }));
    const processor = second.process(({ id }) => {
      note(id, 'second');
    });
    await waitFor(() => completedBy.size === ids.length, 10_000, 'every job');
    await processor.stop();
    expect([...completedBy.values()].every((workers) => workers.length === 1)).toBe(true);
    for (const id of ids) expect((await second.getJob(id))?.state).toBe('completed');
    const released = await Promise.all(ids.map((id) => second.getJob(id)));
    expect(released.filter((job) => job?.history.some((entry) => entry.outcome === 'released')).length).toBeGreaterThan(0);
  });

  it('rejects bad input with typed errors and writes nothing', async () => {
    const queue = new Queue(fast(queueName('bad')));
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(queue.enqueue({ callback: () => 1 })).rejects.toMatchObject({ code: 'INVALID_JOB_DATA', path: '$.callback' });
    await expect(queue.enqueue({ big: 10n })).rejects.toMatchObject({ code: 'INVALID_JOB_DATA', path: '$.big' });
    await expect(queue.enqueue(cycle)).rejects.toMatchObject({ code: 'INVALID_JOB_DATA', path: '$.self' });
    await expect(queue.enqueue('x'.repeat(300 * 1024))).rejects.toMatchObject({ code: 'JOB_DATA_TOO_LARGE' });
    await expect(queue.enqueue(1, { priority: 1.5 })).rejects.toMatchObject({ code: 'INVALID_JOB_OPTIONS', option: 'priority' });
    await expect(queue.enqueueMany([{ data: 1 }, { data: undefined }])).rejects.toMatchObject({ code: 'INVALID_JOB_DATA' });
    expect(await queue.stats()).toMatchObject({ ready: 0, delayed: 0, dead: 0, total: 0 });
    // A job that is not there: getJob says undefined, requireJob says why in a typed error.
    expect(await queue.getJob('0000000000000nonexistent')).toBeUndefined();
    await expect(queue.requireJob('0000000000000nonexistent')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND', jobId: '0000000000000nonexistent' });
  });
}

describe('on MemoryStore', () => {
  const store = new MemoryStore();
  behaviourSuite(() => store);
});

describe('on FileSystemStore', () => {
  let directory: string;
  let store: FileSystemStore;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'baton-queue-'));
    store = new FileSystemStore({ directory, durable: false });
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  behaviourSuite(() => store);
});

describe.skipIf(target === undefined)('on real S3', () => {
  let s3: S3TestStore | undefined;
  let store: ObjectStore | undefined;
  beforeAll(async () => {
    if (target === undefined) return;
    s3 = await openS3TestStore(target, { namePrefix: 'queue' });
    store = s3.store;
  });
  afterAll(async () => {
    await s3?.close();
  });
  behaviourSuite(() => {
    if (store === undefined) throw new Error('beforeAll did not create the store');
    return store;
  });
});
