import { probeOutcome } from '@baton/storage';
import { finding, type Check } from './check';

/** The conditional-write enforcement probe (`probeStorage`) against the live store. */
export const conditionalWritesCheck: Check = {
  id: 'conditional-writes',
  title: 'Conditional writes enforced',
  guideSection: '2. Multiple Leaders (Solution C: check S3 consistency)',
  run(evidence) {
    const probe = evidence.probe;
    if (probe === undefined) return { skipped: 'the store could not be written (see service-start), or the probe was turned off' };
    if ('error' in probe) {
      return [
        finding('conditional-writes', 'probe-failed', 'warning', `The conditional-write probe could not run: ${probe.error.message}`, { error: probe.error }, 'Run `baton verify-storage` for details'),
      ];
    }
    const failed = probe.checks.filter((check) => check.outcome === 'fail');
    if (probeOutcome(probe) === 'inconclusive') {
      // No verdict: the store kept failing transiently (after retries), not misbehaving.
      const inconclusive = probe.checks.filter((check) => check.outcome === 'inconclusive').map(({ id, detail }) => ({ id, detail }));
      return [
        finding(
          'conditional-writes',
          'inconclusive',
          'warning',
          `The conditional-write probe could not finish: the store kept failing with transient errors (${inconclusive.map((check) => `${check.id}: ${check.detail}`).join('; ')}). This is no verdict on the store`,
          { store: probe.store, inconclusive },
          'Check connectivity to the store (endpoint, network, throttling, its error rate), then run `baton doctor` or `baton verify-storage` again; coordinators retry their start-up probe the same way',
        ),
      ];
    }
    if (!probe.safe) {
      return [
        finding(
          'conditional-writes',
          'not-enforced',
          'error',
          'The store does not enforce conditional writes: two workers can both become leader',
          { store: probe.store, observed: probe.observed, failed: failed.map(({ id, detail }) => ({ id, detail })) },
          'Use a store that passes `baton verify-storage` (AWS S3, Ceph RGW, MinIO with conditional writes); never set allowUnsafeStore',
        ),
      ];
    }
    if (failed.length > 0) {
      return [
        finding(
          'conditional-writes',
          'partial',
          'warning',
          `The store passes the lease checks but fails ${failed.map((check) => check.id).join(', ')}`,
          { failed: failed.map(({ id, detail }) => ({ id, detail })) },
          'Run `baton verify-storage` for details; listings that lag delay the removal of stale registrations',
        ),
      ];
    }
    return [];
  },
};
