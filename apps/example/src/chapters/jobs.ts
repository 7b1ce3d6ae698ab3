import { sleep } from '@baton/storage';
import type { DemoJob } from '../demo-worker-protocol';
import { elapsedMs, formatDuration } from '../narrator';
import { DemoStepError, type Chapter } from './chapter';

const TITLE = 'Jobs across workers';

/**
 * The narrator enqueues a batch of jobs as a producer; the workers share them out. Checks that
 * every job completed exactly once (one handler run, one completion) and that the store agrees.
 */
export const jobsChapter: Chapter = {
  title: TITLE,
  async run({ options, narrator, cluster, queue }) {
    const jobs: { data: DemoJob }[] = Array.from({ length: options.jobs }, (_, index) => ({ data: { number: index + 1, durationMs: options.jobDurationMs } }));
    const enqueuedAt = process.hrtime.bigint();
    const ids = await queue.enqueueMany(jobs);
    narrator.say(
      `the narrator enqueued ${ids.length} jobs (${options.jobDurationMs} ms of work each) in ${formatDuration(elapsedMs(enqueuedAt, process.hrtime.bigint()))}, ` +
        `as a producer: a Queue on the store, outside the election`,
    );
    const wanted = new Set(ids);
    const completedIds = (): Set<string> => new Set(cluster.allEvents().flatMap((event) => (event.type === 'completed' && wanted.has(event.id) ? [event.id] : [])));
    await cluster.waitFor(`all ${ids.length} jobs completed`, options.stepTimeoutMs, () => (completedIds().size === ids.length ? true : undefined));
    const doneAt = process.hrtime.bigint();
    // A job handled twice would show up a little later: give it the time to.
    await sleep(options.pollIntervalMs * 3);

    const runs = new Map<string, number>();
    const completions = new Map<string, number>();
    const perWorker = new Map<string, number>();
    for (const worker of cluster.workers) {
      for (const event of worker.events) {
        if (!('id' in event) || !wanted.has(event.id)) continue;
        if (event.type === 'started') runs.set(event.id, (runs.get(event.id) ?? 0) + 1);
        if (event.type === 'completed') {
          completions.set(event.id, (completions.get(event.id) ?? 0) + 1);
          perWorker.set(cluster.nameOf(worker), (perWorker.get(cluster.nameOf(worker)) ?? 0) + 1);
        }
      }
    }
    const twice = ids.filter((id) => (runs.get(id) ?? 0) !== 1 || (completions.get(id) ?? 0) !== 1);
    if (twice.length > 0) {
      throw new DemoStepError(TITLE, `jobs not handled exactly once: ${twice.map((id) => `${id} (${runs.get(id) ?? 0} runs, ${completions.get(id) ?? 0} completions)`).join(', ')}`);
    }
    const states = await Promise.all(ids.map(async (id) => (await queue.getJob(id))?.state));
    const notCompleted = states.filter((state) => state !== 'completed').length;
    if (notCompleted > 0) throw new DemoStepError(TITLE, `${notCompleted} of ${ids.length} job records in the store are not 'completed'`);

    const shares = cluster.workers.map((worker) => `${cluster.nameOf(worker)}: ${perWorker.get(cluster.nameOf(worker)) ?? 0}`).join(', ');
    narrator.say(`${ids.length} jobs processed in ${formatDuration(elapsedMs(enqueuedAt, doneAt))} across ${cluster.workers.length} workers (${shares})`);
    narrator.say(`each job exactly once: ${ids.length} handler runs, ${ids.length} completions, and ${ids.length} records 'completed' in the store`);
  },
};
