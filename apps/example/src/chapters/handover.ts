import { elapsedMs, formatDuration } from '../narrator';
import { DemoStepError, type Chapter } from './chapter';

const TITLE = 'Graceful handover';
// What "one round trip" and scheduling may take on top of the heartbeat (as `pnpm bench:election` allows).
const ROUND_TRIP_ALLOWANCE_MS = 250;

/**
 * Stops the leader with SIGTERM: it finishes its work, releases the lease and exits 0, and a
 * follower takes over at its next heartbeat instead of waiting for the lease to expire.
 */
export const handoverChapter: Chapter = {
  title: TITLE,
  async run({ options, narrator, cluster }) {
    const { leaseTimeout, heartbeatInterval } = options.coordinator;
    const leader = cluster.currentLeader();
    if (leader === undefined) throw new DemoStepError(TITLE, 'no single leader to stop');
    const stoppedAt = cluster.signal(leader.worker, 'SIGTERM');
    narrator.say(`SIGTERM to the leader, ${cluster.nameOf(leader.worker)} (pid ${leader.worker.pid}, epoch ${leader.epoch}): it disconnects, releasing its lease`);
    const successor = await cluster.waitForAcquisition('a new leader after the SIGTERM', options.stepTimeoutMs, leader.epoch, leader.worker);
    const handoverMs = elapsedMs(stoppedAt, successor.at);
    const exit = await leader.worker.exit;
    if (exit.code !== 0) throw new DemoStepError(TITLE, `the stopped leader exited with ${exit.signal ?? `code ${exit.code}`}, not 0`);
    const released = leader.worker.events.some((event) => event.type === 'lost' && event.epoch === leader.epoch && event.reason === 'stopped');
    if (!released) throw new DemoStepError(TITLE, `the stopped leader did not report ending its term (epoch ${leader.epoch}) by stopping`);
    const target = `heartbeatInterval + one round trip = ${formatDuration(heartbeatInterval)} + RTT`;
    const verdict = handoverMs <= heartbeatInterval + ROUND_TRIP_ALLOWANCE_MS ? 'within the target' : `above the target (process shutdown and scheduling)`;
    narrator.say(
      `new leader: ${cluster.nameOf(successor.worker)} (pid ${successor.worker.pid}), epoch ${successor.epoch}, ${formatDuration(handoverMs)} after the SIGTERM ` +
        `(target: ${target}): ${verdict}`,
    );
    // Taking as long as an expiry would mean the lease was not released.
    if (handoverMs >= leaseTimeout) {
      throw new DemoStepError(TITLE, `handover took ${formatDuration(handoverMs)}, as long as a lease expiry (${formatDuration(leaseTimeout)}): the lease was not released`);
    }
    narrator.say(`${cluster.nameOf(leader.worker)} exited with code 0 after releasing its lease; no lease had to expire (a crash would have taken up to ${formatDuration(leaseTimeout + heartbeatInterval)})`);
    await cluster.waitForAgreement(successor.worker, successor.epoch, options.stepTimeoutMs);
  },
};
