import { certainlyOlderThan } from '../evidence';
import type { Finding } from '../report';
import { finding, type Check } from './check';

/**
 * Guide section 4: are workers registered, are their registrations fresh (judged on the store's
 * own clock: now on the store's clock minus the registration's modification time), and (in
 * process) is this worker's own registration there?
 */
export const workerRegistrationCheck: Check = {
  id: 'worker-registration',
  title: 'Workers registering',
  guideSection: '4. Worker Not Registering',
  run(evidence) {
    if (!Array.isArray(evidence.registrations)) {
      return [
        finding(
          'worker-registration',
          'unlistable',
          'error',
          `Worker registrations under ${evidence.keys.workersPrefix} cannot be listed: ${evidence.registrations.error.message}`,
          { prefix: evidence.keys.workersPrefix, error: evidence.registrations.error },
          `Allow s3:ListBucket for ${evidence.keys.workersPrefix} (see \`baton iam-policy\`)`,
        ),
      ];
    }
    const findings: Finding[] = [];
    const registrations = evidence.registrations;
    const { workerTimeout } = evidence.config;
    const lease = evidence.samples.at(-1);
    const coordinator = evidence.inProcess?.coordinator;
    if (registrations.length === 0 && (lease?.state === 'valid' || coordinator?.isRunning === true)) {
      findings.push(
        finding(
          'worker-registration',
          'none-registered',
          'error',
          `No worker is registered in namespace ${evidence.namespace} (Active workers: [])`,
          { prefix: evidence.keys.workersPrefix, leaseHolder: lease?.record?.leader ?? null },
          `Ensure workers call \`await coordinator.start()\` and may write ${evidence.keys.workersPrefix} (s3:PutObject), and that every plugin uses the same namespace`,
        ),
      );
    }
    if (coordinator?.isRunning === true && !registrations.some((registration) => registration.workerId === coordinator.workerId)) {
      findings.push(
        finding(
          'worker-registration',
          'self-missing',
          'error',
          `This process's worker ${coordinator.workerId} is running but not registered`,
          { workerId: coordinator.workerId, key: coordinator._getWorkerKey(coordinator.workerId) },
          'Look for `Failed to register worker` in the logs: usually a missing s3:PutObject permission on workers/',
        ),
      );
    }
    const expired = registrations.filter((registration) => certainlyOlderThan(registration.ageMs, registration.ageUncertaintyMs, workerTimeout));
    if (expired.length > 0) {
      findings.push(
        finding(
          'worker-registration',
          'expired',
          'warning',
          `${expired.length} registration(s) not refreshed for longer than workerTimeout (${workerTimeout} ms): those workers stopped or cannot write`,
          {
            workerTimeout,
            clock: evidence.storeClock.source,
            workers: expired.map((registration) => ({ workerId: registration.workerId, ageMs: registration.ageMs, hostname: registration.record?.hostname, pid: registration.record?.pid })),
          },
          'Check those hosts: a crashed worker is removed by the leader within 2 x workerTimeout; one that is alive is failing to refresh (logs: `Failed to register worker`). Increase workerTimeout if refreshes are merely slow',
        ),
      );
    }
    const unreadable = registrations.filter((registration) => registration.record === undefined);
    if (unreadable.length > 0) {
      findings.push(
        finding(
          'worker-registration',
          'unreadable',
          'warning',
          `${unreadable.length} registration(s) cannot be parsed`,
          // The first ten: a namespace flooded with garbage must not flood the report.
          { count: unreadable.length, keys: unreadable.slice(0, 10).map((registration) => registration.key) },
          'Remove them with `baton clear-corrupted --yes` (deletes each only as read, leaves a valid lease alone); live workers re-register',
        ),
      );
    }
    return findings;
  },
};
