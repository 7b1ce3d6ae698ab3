import type { Finding } from '../report';
import { finding, type Check } from './check';
import { latencySummary, renewalSlackMs } from './latency';

/**
 * Guide section 3: how often the leader changed during the window: epochs of the lease record
 * seen by diagnostics, and (in process) the coordinator's `leaderChanges` counter.
 */
export const rapidLeaderChangesCheck: Check = {
  id: 'rapid-leader-changes',
  title: 'Rapid leader changes',
  guideSection: '3. Rapid Leader Changes',
  run(evidence) {
    if (evidence.samples.length < 2) return { skipped: 'needs at least two samples over a window (--samples, --window)' };
    const epochs = evidence.samples.flatMap((sample) => (sample.record === undefined ? [] : [sample.record.epoch]));
    const epochChanges = epochs.length < 2 ? 0 : Math.max(0, (epochs.at(-1) ?? 0) - (epochs[0] ?? 0));
    const counters = evidence.samples.flatMap((sample) => (sample.metrics === undefined ? [] : [sample.metrics.leaderChanges]));
    const counted = counters.length < 2 ? 0 : (counters.at(-1) ?? 0) - (counters[0] ?? 0);
    const changes = Math.max(epochChanges, counted);
    if (changes === 0) return [];
    const durationMs = evidence.window.durationMs;
    const perMinute = durationMs > 0 ? Math.round((changes * 60_000 * 10) / durationMs) / 10 : changes;
    const latency = latencySummary(evidence);
    const slack = renewalSlackMs(evidence);
    const rapid = changes >= evidence.thresholds.rapidLeaderChanges;
    const findings: Finding[] = [
      finding(
        'rapid-leader-changes',
        rapid ? 'rapid' : 'changed',
        rapid ? 'warning' : 'info',
        `The leader changed ${changes} time(s) in ${Math.round(durationMs)} ms (${perMinute} per minute)`,
        {
          changes,
          windowMs: Math.round(durationMs),
          perMinute,
          epochs: [...new Set(epochs)],
          storageLatency: latency,
          renewalSlackMs: slack,
          leaseTimeout: evidence.config.leaseTimeout,
        },
        latency.p95Ms * 2 >= slack
          ? `Storage requests (p95 ${latency.p95Ms} ms) are slow for renewDeadline - heartbeatInterval = ${slack} ms: increase leaseTimeout (the guide suggests 20000+)`
          : 'Look for failed renewals (`Lease renewal failed`, `Failed to register worker`) in the logs: CPU starvation, network errors or store throttling; workers restarting also change the leader',
      ),
    ];
    return findings;
  },
};
