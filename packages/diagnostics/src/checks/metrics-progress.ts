import type { Finding } from '../report';
import { finding, NEEDS_IN_PROCESS, type Check } from './check';

/**
 * Guide section 9: metrics that do not move. In process: the heartbeat counter over the window,
 * the age of the last heartbeat, and whether the coordinator's timers are armed at all.
 */
export const metricsProgressCheck: Check = {
  id: 'metrics-progress',
  title: 'Metrics incrementing',
  guideSection: '9. Metrics Not Incrementing',
  run(evidence) {
    const localWallNow = evidence.finishedAtWall;
    const coordinator = evidence.inProcess?.coordinator;
    if (coordinator === undefined) return { skipped: NEEDS_IN_PROCESS };
    const metrics = evidence.samples.flatMap((sample) => (sample.metrics === undefined ? [] : [sample.metrics]));
    const first = metrics[0];
    const last = metrics.at(-1);
    if (first === undefined || last === undefined) return [];
    const findings: Finding[] = [];
    const { heartbeatInterval } = evidence.config;
    if (!last.isRunning) {
      findings.push(
        finding(
          'metrics-progress',
          'not-started',
          'error',
          'The coordinator is not running, so no counter moves',
          { heartbeatCount: last.heartbeatCount, electionCount: last.electionCount },
          'Call `await coordinator.start()` (this must be called!)',
        ),
      );
      return findings;
    }
    const beats = last.heartbeatCount - first.heartbeatCount;
    const sinceLastBeat = Math.max(0, localWallNow - last.lastHeartbeatTime);
    const windowCoversBeats = evidence.window.durationMs >= 2 * heartbeatInterval;
    if ((windowCoversBeats && beats === 0) || sinceLastBeat > 3 * heartbeatInterval) {
      findings.push(
        finding(
          'metrics-progress',
          'heartbeat-stalled',
          'error',
          `heartbeatCount stayed at ${last.heartbeatCount}: the last heartbeat was ${Math.round(sinceLastBeat)} ms ago (heartbeatInterval ${heartbeatInterval} ms)`,
          { heartbeatCount: last.heartbeatCount, heartbeatsInWindow: beats, windowMs: Math.round(evidence.window.durationMs), msSinceLastHeartbeat: Math.round(sinceLastBeat) },
          'The heartbeat loop is not running: restart the coordinator (hub.disconnect() then connect()); look for a blocked event loop or a hung storage request',
        ),
      );
    }
    const armed = evidence.samples.map((sample) => sample.timersArmed);
    if (armed.length >= 2 && armed.every((value) => value === false)) {
      findings.push(
        finding(
          'metrics-progress',
          'no-timers',
          'error',
          'The coordinator is running but neither heartbeatTimer nor electionTimer is armed: nothing will run the next cycle',
          { heartbeatTimer: null, electionTimer: null },
          'Restart the coordinator (hub.disconnect() then connect()); never clear its timers from outside',
        ),
      );
    }
    return findings;
  },
};
