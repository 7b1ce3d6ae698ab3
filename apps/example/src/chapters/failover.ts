import { elapsedMs, formatDuration } from '../narrator';
import { DemoStepError, type Chapter } from './chapter';

const TITLE = 'Crash failover';

/**
 * Kills the leader with SIGKILL (it releases nothing) and measures how long until another worker
 * leads, against the core's bound: leaseTimeout + heartbeatInterval. Then shows the queue still
 * works under the new leader.
 */
export const failoverChapter: Chapter = {
  title: TITLE,
  async run({ options, narrator, cluster, queue }) {
    const { leaseTimeout, heartbeatInterval } = options.coordinator;
    const leader = cluster.currentLeader();
    if (leader === undefined) throw new DemoStepError(TITLE, 'no single leader to kill');
    const killedAt = cluster.signal(leader.worker, 'SIGKILL');
    narrator.say(`SIGKILL to the leader, ${cluster.nameOf(leader.worker)} (pid ${leader.worker.pid}, epoch ${leader.epoch}): it releases nothing, its lease has to expire`);
    const successor = await cluster.waitForAcquisition('a new leader after the SIGKILL', options.stepTimeoutMs, leader.epoch, leader.worker);
    const failoverMs = elapsedMs(killedAt, successor.at);
    const boundMs = leaseTimeout + heartbeatInterval;
    const verdict = failoverMs <= boundMs ? 'within the bound' : 'OVER THE BOUND';
    narrator.say(
      `new leader: ${cluster.nameOf(successor.worker)} (pid ${successor.worker.pid}), epoch ${successor.epoch}, ${formatDuration(failoverMs)} after the kill ` +
        `(bound: leaseTimeout + heartbeatInterval = ${formatDuration(boundMs)}): ${verdict}`,
    );
    if (failoverMs > boundMs) throw new DemoStepError(TITLE, `failover took ${formatDuration(failoverMs)}, more than leaseTimeout + heartbeatInterval = ${formatDuration(boundMs)}`);
    const exit = await leader.worker.exit;
    if (exit.signal !== 'SIGKILL') throw new DemoStepError(TITLE, `the killed worker exited with ${exit.signal ?? `code ${exit.code}`}, not SIGKILL`);
    await cluster.waitForAgreement(successor.worker, successor.epoch, options.stepTimeoutMs);

    const enqueuedAt = process.hrtime.bigint();
    const id = await queue.enqueue({ number: 0, durationMs: options.jobDurationMs });
    const done = await cluster.waitFor(`job ${id} completed`, options.stepTimeoutMs, () => {
      for (const worker of cluster.workers) if (worker.events.some((event) => event.type === 'completed' && event.id === id)) return worker;
      return undefined;
    });
    narrator.say(`the queue goes on: a job enqueued now was processed by ${cluster.nameOf(done)} in ${formatDuration(elapsedMs(enqueuedAt, process.hrtime.bigint()))}`);
  },
};
