import { elapsedMs, formatDuration } from '../narrator';
import { DEMO_NAMESPACE, DEMO_QUEUE } from '../demo-options';
import { DemoStepError, type Chapter } from './chapter';

/** Starts the worker processes and shows one of them elected leader, the others agreeing. */
export const electionChapter: Chapter = {
  title: 'Leader election',
  async run({ options, narrator, cluster }) {
    const { leaseTimeout, heartbeatInterval, renewDeadline } = options.coordinator;
    narrator.say(`timings: leaseTimeout ${leaseTimeout} ms, heartbeatInterval ${heartbeatInterval} ms, renewDeadline ${renewDeadline} ms`);
    narrator.say(
      `starting ${options.workers} worker processes: each connect()s to the store, ` +
        `joins the election of namespace "${DEMO_NAMESPACE}" and processes queue "${DEMO_QUEUE}"`,
    );
    const startedAt = process.hrtime.bigint();
    const workers = await cluster.startWorkers(options.workers, options.stepTimeoutMs);
    narrator.say(`${workers.length} workers ready (pids ${workers.map((worker) => worker.pid).join(', ')})`);
    const leader = await cluster.waitForAcquisition('a leader', options.stepTimeoutMs, 0);
    const leaders = workers.filter((worker) => worker.events.some((event) => event.type === 'acquired' && event.epoch === leader.epoch));
    if (leaders.length !== 1) {
      throw new DemoStepError('Leader election', `${leaders.length} workers acquired epoch ${leader.epoch}; exactly one may`);
    }
    narrator.say(
      `leader elected: ${cluster.nameOf(leader.worker)} (pid ${leader.worker.pid}, ${leader.worker.workerId ?? '?'}), epoch ${leader.epoch}, ` +
        `${formatDuration(elapsedMs(startedAt, leader.at))} after the processes were started (most of it is Node starting up)`,
    );
    await cluster.waitForAgreement(leader.worker, leader.epoch, options.stepTimeoutMs);
    narrator.say(`all ${workers.length} workers agree on the leader after ${formatDuration(elapsedMs(startedAt, process.hrtime.bigint()))}`);
  },
};
