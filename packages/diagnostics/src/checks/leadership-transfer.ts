import { isResetHolder } from '@baton/coordinator-core';
import { certainlyOlderThan, storeNow } from '../evidence';
import type { Finding } from '../report';
import { finding, type Check } from './check';

/** A lease above this makes failover slow enough to look stuck (the guide's "10+ minutes"). */
const LONG_LEASE_MS = 60_000;

/**
 * Guide section 8: a lease held by a worker whose registration is stale or gone, and not renewed
 * (on the store's clock) for longer than a takeover takes: leadership is not transferring.
 */
export const leadershipTransferCheck: Check = {
  id: 'leadership-transfer',
  title: 'Leadership transferring on failure',
  guideSection: '8. Leadership Not Transferring on Failure',
  run(evidence) {
    const localWallNow = evidence.finishedAtWall;
    const last = evidence.samples.at(-1);
    if (last?.state === 'invalid') {
      return [
        finding(
          'leadership-transfer',
          'corrupted-record',
          'error',
          `The lease record ${evidence.keys.state} cannot be parsed (${last.reason ?? 'unknown reason'}): nobody leads until it is replaced`,
          { key: evidence.keys.state, reason: last.reason },
          'Run `baton reset-leader --yes`: it replaces the record by compare-and-swap with a held reset record above every registered epoch (workers also replace it themselves after leaseTimeout)',
        ),
      ];
    }
    const record = last?.record;
    if (last === undefined || record === undefined || record.leader === null) return [];
    const findings: Finding[] = [];
    const { leaseTimeout, heartbeatInterval, workerTimeout } = evidence.config;
    const effectiveLease = Math.max(leaseTimeout, record.leaseTimeout);
    if (record.leaseTimeout > LONG_LEASE_MS) {
      findings.push(
        finding(
          'leadership-transfer',
          'long-lease',
          'warning',
          `The holder's leaseTimeout is ${record.leaseTimeout} ms: after a crash, nobody may take over for that long`,
          { holder: record.leader, leaseTimeout: record.leaseTimeout },
          'Lower leaseTimeout (the guide: 10000-20000, workerTimeout about 1.5x); followers always wait for the longer of theirs and the holder\'s',
        ),
      );
    }
    const leaseAgeMs = last.lastModified === undefined ? undefined : Math.max(0, Math.round(storeNow(evidence, localWallNow) - last.lastModified));
    const unchangedInWindow = evidence.samples.every((sample) => sample.etag === last.etag);
    if (isResetHolder(record.leader)) {
      findings.push(
        finding(
          'leadership-transfer',
          'reset-pending',
          'info',
          `The lease was reset by an operator (${record.leader}); a worker takes over once it has watched the reset record for ${effectiveLease} ms`,
          { holder: record.leader, epoch: record.epoch, leaseAgeMs },
          'Nothing to do: keep at least one worker running',
        ),
      );
      return findings;
    }
    const registrations = Array.isArray(evidence.registrations) ? evidence.registrations : undefined;
    if (registrations === undefined) return findings;
    const holder = registrations.find((registration) => registration.workerId === record.leader);
    const holderStale = holder === undefined || certainlyOlderThan(holder.ageMs, holder.ageUncertaintyMs, workerTimeout);
    const alive = registrations.filter((registration) => registration.workerId !== record.leader && !certainlyOlderThan(registration.ageMs, registration.ageUncertaintyMs, workerTimeout));
    const leaseAgeUncertaintyMs = evidence.storeClock.uncertaintyMs + evidence.storeClock.timestampResolutionMs;
    const notRenewed = unchangedInWindow && certainlyOlderThan(leaseAgeMs, leaseAgeUncertaintyMs, effectiveLease + heartbeatInterval);
    if (holderStale && notRenewed) {
      findings.push(
        finding(
          'leadership-transfer',
          'not-transferring',
          'error',
          `The lease of epoch ${record.epoch} is held by ${record.leader}, whose registration is ${holder === undefined ? 'gone' : 'stale'}, and has not been renewed for ${leaseAgeMs} ms (> leaseTimeout ${effectiveLease} ms): nobody has taken over`,
          {
            holder: record.leader,
            epoch: record.epoch,
            leaseAgeMs,
            holderRegistrationAgeMs: holder?.ageMs ?? null,
            liveFollowers: alive.map((registration) => registration.workerId),
            clock: evidence.storeClock.source,
          },
          alive.length === 0
            ? 'No live follower can take over: start a worker (any worker takes the lease after watching it for leaseTimeout)'
            : 'Followers are registered but not taking over: check their logs for `Failed to conduct election`, and that they use the same namespace and store. `baton reset-leader --yes` ends the term safely',
        ),
      );
    } else if (holderStale && !notRenewed && holder !== undefined) {
      findings.push(
        finding(
          'leadership-transfer',
          'holder-registration-stale',
          'warning',
          `The leader ${record.leader} renews its lease but its registration is ${holder.ageMs} ms old (> workerTimeout ${workerTimeout} ms)`,
          { holder: record.leader, registrationAgeMs: holder.ageMs, leaseAgeMs },
          'The leader cannot refresh its registration: look for `Failed to register worker` in its logs (s3:PutObject on workers/)',
        ),
      );
    }
    return findings;
  },
};
