import type { Finding } from '../report';
import { finding, type Check } from './check';
import { latencySummary, renewalSlackMs } from './latency';

/**
 * Storage round-trip latency against the lease timings: a renewal must land within
 * `renewDeadline - heartbeatInterval` of starting, or the leader loses the lease.
 */
export const storageLatencyCheck: Check = {
  id: 'storage-latency',
  title: 'Storage latency against leaseTimeout',
  guideSection: '3. Rapid Leader Changes (S3 latency > lease timeout)',
  run(evidence) {
    const latency = latencySummary(evidence);
    if (latency.samples === 0) return { skipped: 'no storage request completed' };
    const slack = renewalSlackMs(evidence);
    const { leaseTimeout, heartbeatInterval, renewDeadline } = evidence.config;
    const suggestedLeaseTimeout = Math.ceil(((latency.maxMs * 2 + heartbeatInterval) * 1.5) / 1000) * 1000;
    const context = { ...latency, renewalSlackMs: slack, leaseTimeout, renewDeadline, heartbeatInterval, suggestedLeaseTimeout };
    const findings: Finding[] = [];
    if (latency.p95Ms >= slack) {
      findings.push(
        finding(
          'storage-latency',
          'too-slow',
          'error',
          `Storage requests take ${latency.p95Ms} ms (p95), at least the ${slack} ms a renewal has before the renew deadline: leaders will keep losing the lease`,
          context,
          `Increase leaseTimeout to at least ${suggestedLeaseTimeout} (and workerTimeout to 1.5x), or move workers closer to the store`,
        ),
      );
    } else if (latency.p95Ms * 2 >= slack || latency.maxMs >= slack) {
      findings.push(
        finding(
          'storage-latency',
          'slow',
          'warning',
          `Storage requests are slow for the lease timings: p95 ${latency.p95Ms} ms, max ${latency.maxMs} ms, against ${slack} ms of renewal slack`,
          context,
          `Increase leaseTimeout (e.g. to ${suggestedLeaseTimeout}) so that one slow request does not cost the lease`,
        ),
      );
    }
    return findings;
  },
};
