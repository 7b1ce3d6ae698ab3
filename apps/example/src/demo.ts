// The baton demo: `pnpm demo` at the repository root (see README.md).
//
// Starts worker processes (src/demo-worker.ts) on one store and narrates, with timings, what they
// do: a leader elected, jobs shared out, the leader killed and replaced within the bound, a
// graceful handover. Every claim it prints is checked against what the workers reported; if one
// does not hold, or a step times out, it says so and exits 1. It always stops its processes.
//
//   pnpm demo                      the embedded file:// store in apps/example/.baton-demo/
//   BATON_URL=s3://… pnpm demo     any S3 (pnpm demo:s3 starts a local Ceph RGW for it)
//   pnpm demo --fast               shorter timings (CI)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from '@baton/queue';
import { TTLCollection } from '@baton/ttl';
import { createStore, deleteKeys, listPages, type ObjectStore } from '@baton/storage';
import type { Chapter, DemoContext } from './chapters/chapter';
import { doctorChapter } from './chapters/doctor';
import { electionChapter } from './chapters/election';
import { failoverChapter } from './chapters/failover';
import { handoverChapter } from './chapters/handover';
import { jobsChapter } from './chapters/jobs';
import { ttlChapter } from './chapters/ttl';
import { DemoCluster } from './demo-cluster';
import { DEMO_NAMESPACE, DEMO_QUEUE, DEMO_TTL_COLLECTION, resolveDemoOptions, type DemoOptions } from './demo-options';
import { formatDuration, Narrator } from './narrator';

const CHAPTERS: readonly Chapter[] = [electionChapter, jobsChapter, ttlChapter, failoverChapter, handoverChapter, doctorChapter];
// However the workers behave, the demo ends: no step is allowed longer than this many step timeouts.
const CHAPTER_TIMEOUT_STEPS = 3;

async function main(): Promise<number> {
  let options: DemoOptions;
  try {
    options = resolveDemoOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`baton demo: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const narrator = new Narrator();
  narrator.announce(`baton demo: ${options.workers} worker processes on ${options.displayUrl}${options.fast ? ' (fast timings)' : ''}`);

  if (options.fileDirectory !== undefined) rmSync(options.fileDirectory, { recursive: true, force: true });
  const eventsDirectory = mkdtempSync(join(tmpdir(), 'baton-demo-events-'));
  const cluster = new DemoCluster({
    url: options.url,
    directory: eventsDirectory,
    config: {
      timings: {
        heartbeatInterval: options.coordinator.heartbeatInterval,
        leaseTimeout: options.coordinator.leaseTimeout,
        renewDeadline: options.coordinator.renewDeadline,
        workerTimeout: options.coordinator.workerTimeout,
      },
      namespace: DEMO_NAMESPACE,
      queueName: DEMO_QUEUE,
      concurrency: options.concurrency,
      visibilityTimeoutMs: options.visibilityTimeoutMs,
      pollIntervalMs: options.pollIntervalMs,
      ttlCollection: DEMO_TTL_COLLECTION,
      ttlSweepIntervalMs: options.ttlSweepIntervalMs,
    },
  });
  let store: ObjectStore | undefined;
  let queue: Queue | undefined;

  let cleanedUp: Promise<void> | undefined;
  const cleanUp = (): Promise<void> => (cleanedUp ??= stopEverything({ options, narrator, cluster, store, queue, eventsDirectory }));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      narrator.announce(`${signal}: stopping every worker process...`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  let exitCode = 0;
  try {
    try {
      store = await createStore(options.url);
    } catch (error) {
      throw new Error(`cannot open the store: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    queue = new Queue({ store, name: DEMO_QUEUE });
    const context: DemoContext = { options, narrator, cluster, queue, ttl: new TTLCollection({ store, collection: DEMO_TTL_COLLECTION }), store };
    for (const chapter of CHAPTERS) {
      narrator.chapter(chapter.title);
      await withTimeout(chapter.run(context), CHAPTER_TIMEOUT_STEPS * options.stepTimeoutMs, chapter.title);
    }
  } catch (error) {
    exitCode = 1;
    narrator.announce(`✗ DEMO FAILED: ${error instanceof Error ? error.message : String(error)}`);
    if (cluster.workers.length > 0) process.stderr.write(`Worker processes at the failure:\n${cluster.describe()}\n`);
  }
  narrator.chapter('Clean-up');
  await cleanUp();
  if (exitCode === 0) narrator.announce(`✓ demo complete in ${formatDuration(narrator.elapsedMs)}`);
  return exitCode;
}

/** What there is to stop and remove at the end. */
interface Leftovers {
  options: DemoOptions;
  narrator: Narrator;
  cluster: DemoCluster;
  store: ObjectStore | undefined;
  queue: Queue | undefined;
  eventsDirectory: string;
}

/** Stops every worker (SIGTERM, then SIGKILL for stragglers), by pid, and removes what the run left. */
async function stopEverything({ options, narrator, cluster, store, queue, eventsDirectory }: Leftovers): Promise<void> {
  const running = cluster.workers.filter((worker) => !worker.exited);
  await cluster.stopAllGracefully(10_000);
  await queue?.close();
  const left = cluster.workers.filter((worker) => !worker.exited);
  narrator.say(
    cluster.workers.length === 0
      ? 'no worker process was started'
      : left.length === 0
      ? `stopped the ${running.length} remaining ${running.length === 1 ? 'worker' : 'workers'}; all ${cluster.workers.length} worker processes have exited (pids ${cluster.workers.map((worker) => worker.pid).join(', ')})`
      : `could not stop ${left.length} workers (pids ${left.map((worker) => worker.pid).join(', ')})`,
  );
  if (options.s3RunPrefix !== undefined && store !== undefined) {
    try {
      const removed = await removeEverything(store);
      narrator.say(`removed this run's ${removed} objects under ${options.s3RunPrefix}/ from the bucket`);
    } catch (error) {
      narrator.say(`could not remove this run's objects under ${options.s3RunPrefix}/: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else if (options.fileDirectory !== undefined) {
    narrator.say(`the store is left in ${options.fileDirectory} to look at (wiped at the next start)`);
  }
  rmSync(eventsDirectory, { recursive: true, force: true });
}

/** Deletes every object of the store (for S3: everything under this run's prefix). */
async function removeEverything(store: ObjectStore): Promise<number> {
  let removed = 0;
  for await (const page of listPages(store, { prefix: '' })) {
    await deleteKeys(store, page.entries.map((entry) => entry.key));
    removed += page.entries.length;
  }
  return removed;
}

function withTimeout<Value>(work: Promise<Value>, timeoutMs: number, what: string): Promise<Value> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not finish within ${formatDuration(timeoutMs)}`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// Exit explicitly: the S3 client's keep-alive sockets would hold the process open for a while.
process.exit(await main());
