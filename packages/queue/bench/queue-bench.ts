// The queue benchmark: end-to-end throughput and storage requests per completed job, with 1 and 4
// worker processes (src/fixtures/queue-worker.ts), on the file and S3 (Ceph RGW) stores.
//
//   pnpm bench:queue              2000 jobs per run; a few minutes with S3
//   pnpm bench:queue --quick      300 jobs per run; well under a minute plus the Ceph start
//
// Options: --jobs N, --processes 1,4, --concurrency N (per process, default 8),
// --backends file,s3. S3: S3_TEST_ENDPOINT (+ S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY,
// S3_TEST_REGION) or a throwaway Ceph RGW started here; skipped, saying why, when neither is
// possible.
//
// One run: start the worker processes (default queue and coordinator timings) and wait until all
// are ready; then let them all go and enqueue every job from this process at the same moment.
// Throughput = jobs / (time from "go" to the last completion): enqueue, claim and complete
// overlap, as in a live system. Requests are counted below each hub (a counting store under the
// hub, so nothing escapes it) and written by each process at exit; the enqueuer's are counted
// here. Everything is divided by the jobs completed, so the per-job numbers AMORTISE the whole
// life of the processes: start-up (registration, the first election), the coordinator's
// heartbeats, the leader's duties (recovery sweeps, promotion, purge), idle polls of the ready
// index, lost claim races between processes, and shutdown.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CountingStore, createStore } from '@baton/storage';
import { openBenchS3Target, runBenchmark, textTable } from '@tooling/test-support';
import { QueueCluster, type RequestCounts } from '../src/fixtures/queue-cluster';
import { Queue } from '../src/queue';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

type Backend = 'file' | 's3';
const BACKENDS: readonly Backend[] = ['file', 's3'];
const OPERATIONS = ['get', 'put', 'delete', 'list'] as const;
const REQUEST_TARGET_PER_JOB = 6;
// The defaults of the coordinator (heartbeat 5 s, lease 15 s) and of the queue (visibility
// timeout 30 s): what a deployment would run, so the amortised overhead is the real one.
const TIMINGS = { heartbeatInterval: 5000, leaseTimeout: 15_000, workerTimeout: 20_000 };
const VISIBILITY_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 1000;

interface Options {
  quick: boolean;
  jobs: number;
  processCounts: number[];
  concurrency: number;
  backends: Backend[];
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      jobs: { type: 'string' },
      processes: { type: 'string' },
      concurrency: { type: 'string' },
      backends: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log('usage: pnpm bench:queue [--quick] [--jobs N] [--processes 1,4] [--concurrency N] [--backends file,s3]');
    process.exit(0);
  }
  const backends = (values.backends ?? BACKENDS.join(',')).split(',').map((name) => {
    if (!BACKENDS.includes(name as Backend)) throw new Error(`--backends: unknown backend ${JSON.stringify(name)} (file, s3)`);
    return name as Backend;
  });
  return {
    quick: values.quick,
    jobs: positiveInteger(values.jobs, values.quick ? 300 : 2000, '--jobs'),
    processCounts: (values.processes ?? '1,4').split(',').map((count) => positiveInteger(count, 1, '--processes')),
    concurrency: positiveInteger(values.concurrency, 8, '--concurrency'),
    backends,
  };
}

function positiveInteger(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Where each backend's queues live.

let scratch: string | undefined;
function scratchDirectory(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'baton-queue-bench-'));
  return scratch;
}

let fresh = 0;
const cleanups: (() => Promise<void>)[] = [];

/** A fresh, empty store's connection string per call. */
type Stores = (label: string) => string;

async function s3Stores(): Promise<{ stores: Stores; description: string } | { skipped: string }> {
  const s3 = await openBenchS3Target('queue-bench');
  if ('skipped' in s3) return s3;
  cleanups.push(() => s3.close());
  return { description: s3.description, stores: (label) => s3.connectionString(`${label}-${(fresh += 1)}`) };
}

// ---------------------------------------------------------------------------------------------
// One run.

interface RunResult {
  backend: Backend;
  processes: number;
  completed: number;
  seconds: number;
  /** Every request of the run: the enqueuer's and every worker process's, by operation. */
  requests: RequestCounts;
  /** The coordinators' share (heartbeats, registration, election). */
  coordinator: number;
  /** The enqueuer's share. */
  enqueue: number;
  error?: string;
}

const activeClusters = new Set<QueueCluster>();

function sum(counts: readonly (RequestCounts | undefined)[]): RequestCounts {
  const total: RequestCounts = { get: 0, put: 0, delete: 0, list: 0 };
  for (const entry of counts) for (const operation of OPERATIONS) total[operation] += entry?.[operation] ?? 0;
  return total;
}

function totalOf(counts: RequestCounts): number {
  return OPERATIONS.reduce((total, operation) => total + counts[operation], 0);
}

async function measure(backend: Backend, processes: number, url: string, options: Options): Promise<RunResult> {
  const directory = join(scratchDirectory(), 'runs', `${backend}-${processes}-${(fresh += 1)}`);
  const cluster = new QueueCluster({
    url,
    directory,
    config: {
      queueName: 'bench',
      concurrency: options.concurrency,
      visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS,
      pollIntervalMs: POLL_INTERVAL_MS,
      timings: TIMINGS,
      countsFile: join(directory, 'requests'),
      waitForGo: true,
      quiet: true,
    },
  });
  activeClusters.add(cluster);
  const enqueueStore = new CountingStore(await createStore(url));
  const empty: RunResult = { backend, processes, completed: 0, seconds: 0, requests: sum([]), coordinator: 0, enqueue: 0 };
  try {
    await cluster.start(processes);
    const producer = new Queue({ store: enqueueStore, name: 'bench', visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS });
    const items = Array.from({ length: options.jobs }, (_value, index) => ({ data: { index } }));
    const completedCount = (): number => cluster.workers.reduce((total, worker) => total + worker.events.filter((event) => event.type === 'completed').length, 0);
    const startedAt = performance.now();
    cluster.go();
    await producer.enqueueMany(items);
    await cluster.waitFor(`${options.jobs} completions`, 10 * 60_000, () => (completedCount() >= options.jobs ? true : undefined));
    const seconds = (performance.now() - startedAt) / 1000;
    await cluster.stopAllGracefully(30_000);
    const workerCounts = cluster.workers.map((worker) => cluster.counts(worker));
    const missing = workerCounts.filter((counts) => counts === undefined).length;
    const requests = sum([...workerCounts.map((counts) => counts?.all), { ...enqueueStore.counts }]);
    return {
      backend,
      processes,
      completed: completedCount(),
      seconds,
      requests,
      coordinator: totalOf(sum(workerCounts.map((counts) => counts?.coordinator))),
      enqueue: enqueueStore.total,
      ...(missing > 0 ? { error: `${missing} process(es) wrote no request counts` } : {}),
    };
  } catch (error) {
    return { ...empty, error: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error) };
  } finally {
    await cluster.stopAll();
    activeClusters.delete(cluster);
    (enqueueStore as unknown as { destroy?: () => void }).destroy?.();
  }
}

// ---------------------------------------------------------------------------------------------
// Output.


async function main(): Promise<void> {
  const options = parseOptions();
  const benchStarted = performance.now();
  console.log(`baton queue benchmark (${options.quick ? 'quick' : 'full'}): ${options.jobs} jobs per run, concurrency ${options.concurrency} per process, no-op handler`);
  console.log(
    `timings: visibility timeout ${VISIBILITY_TIMEOUT_MS} ms (leader duties every ${VISIBILITY_TIMEOUT_MS / 4} ms), poll ${POLL_INTERVAL_MS} ms, ` +
      `coordinator heartbeat ${TIMINGS.heartbeatInterval} ms, lease ${TIMINGS.leaseTimeout} ms (the defaults)`,
  );

  const stores = new Map<Backend, Stores>();
  const skipped = new Map<Backend, string>();
  for (const backend of options.backends) {
    if (backend === 'file') stores.set(backend, (label) => `file://${join(scratchDirectory(), 'stores', `${label}-${(fresh += 1)}`)}`);
    if (backend === 's3') {
      const s3 = await s3Stores();
      if ('skipped' in s3) {
        skipped.set('s3', s3.skipped);
        console.log(`s3: SKIPPED: ${s3.skipped}`);
      } else {
        stores.set('s3', s3.stores);
        console.log(`s3: ${s3.description}`);
      }
    }
  }
  console.log('');

  const results: RunResult[] = [];
  for (const [backend, fresh] of stores) {
    for (const processes of options.processCounts) {
      const result = await measure(backend, processes, fresh(`processes-${processes}`), options);
      results.push(result);
      console.log(`(${backend}, ${processes} process(es): ${result.error ?? `${result.completed} jobs in ${result.seconds.toFixed(1)} s`})`);
    }
  }
  console.log('');

  console.log('Throughput and storage requests per completed job');
  console.log(`  target: ≤ ${REQUEST_TARGET_PER_JOB} requests per completed job, everything included`);
  console.log('  amortised into every per-job number: start-up (registration, first election), coordinator heartbeats,');
  console.log('  the leader duties (recovery sweeps, promotion, purge), idle polls of the ready index, lost claim races, shutdown');
  const rows = results.map((result) => {
    if (result.completed === 0) return [result.backend, String(result.processes), '0', '-', '-', '-', '-', '-', '-', '-', '-', '-', `error: ${result.error ?? '?'}`];
    const perJob = (count: number): string => (count / result.completed).toFixed(3);
    const total = totalOf(result.requests);
    const verdict = total / result.completed <= REQUEST_TARGET_PER_JOB ? 'within target' : 'OVER target';
    return [
      result.backend,
      String(result.processes),
      String(result.completed),
      result.seconds.toFixed(2),
      (result.completed / result.seconds).toFixed(0),
      ...OPERATIONS.map((operation) => perJob(result.requests[operation])),
      perJob(total),
      perJob(result.enqueue),
      perJob(result.coordinator),
      perJob(total - result.enqueue - result.coordinator),
      result.error === undefined ? verdict : `${verdict}; ${result.error}`,
    ];
  });
  console.log(
    textTable(
      ['backend', 'processes', 'jobs', 'seconds', 'jobs/s', 'get', 'put', 'delete', 'list', 'total/job', 'enqueue', 'coordinator', 'workers (queue)', 'verdict'],
      rows,
      'lrrrrrrrrrrrrl',
    ),
  );
  console.log('  get..total/job: requests per completed job by operation; enqueue / coordinator / workers (queue): the same total split by who made them');
  for (const [backend, reason] of skipped) console.log(`${backend}: skipped: ${reason}`);
  console.log('');
  console.log(`done in ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);
}

async function cleanUp(): Promise<void> {
  await Promise.all([...activeClusters].map((cluster) => cluster.stopAll().catch(() => undefined)));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
}

await runBenchmark(main, cleanUp);
