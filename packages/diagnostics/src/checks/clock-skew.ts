import { finding, type Check } from './check';

/**
 * Clock skew between this host and the store, from the store's HTTP `Date` header (or the
 * modification time it gives a fresh object). For information only: baton judges leases on each
 * host's monotonic clock and never compares clocks between hosts.
 */
export const clockSkewCheck: Check = {
  id: 'clock-skew',
  title: 'Clock skew with the store (information)',
  guideSection: '2. Multiple Leaders (Solution A: sync clocks)',
  run(evidence) {
    const { source, offsetMs, uncertaintyMs } = evidence.storeClock;
    if (source === 'local') return { skipped: 'the store reported no clock (no Date header or modification time)' };
    if (Math.abs(offsetMs) <= uncertaintyMs + evidence.thresholds.clockSkewMs) return [];
    return [
      finding(
        'clock-skew',
        'skewed',
        'info',
        `The store's clock is ${Math.round(offsetMs / 100) / 10} s ${offsetMs > 0 ? 'ahead of' : 'behind'} this host's (±${Math.round(uncertaintyMs)} ms)`,
        { offsetMs, uncertaintyMs, source },
        'No action needed for baton (leases never compare clocks between hosts); sync clocks (chrony, ntpdate) for readable logs and for S3 request signing, which rejects skews above 15 minutes',
      ),
    ];
  },
};
