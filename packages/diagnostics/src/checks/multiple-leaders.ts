import { isResetHolder } from '@baton/coordinator-core';
import type { RegistrationEvidence } from '../evidence';
import type { Finding } from '../report';
import { finding, type Check } from './check';

const FIX =
  'Verify the store enforces conditional writes (`baton verify-storage`): two leaders are impossible on a store that does. Never run with allowUnsafeStore, and never edit or delete state.json by hand (use `baton reset-leader`)';

/**
 * Guide section 2: any sign of two workers claiming one term: two registrations claiming the
 * same epoch, a registration claiming the current epoch for someone other than the lease holder,
 * two leaders announced for one epoch in this process, or an epoch that went backwards.
 */
export const multipleLeadersCheck: Check = {
  id: 'multiple-leaders',
  title: 'Multiple leaders',
  guideSection: '2. Multiple Leaders',
  run(evidence) {
    const findings: Finding[] = [];
    const registrations = Array.isArray(evidence.registrations) ? evidence.registrations : [];
    const claims = registrations.filter((registration): registration is RegistrationEvidence & { record: NonNullable<RegistrationEvidence['record']> } =>
      registration.record?.isLeader === true,
    );
    const byEpoch = new Map<number, string[]>();
    for (const claim of claims) byEpoch.set(claim.record.epoch, [...(byEpoch.get(claim.record.epoch) ?? []), claim.workerId]);
    for (const [epoch, workers] of byEpoch) {
      if (workers.length < 2) continue;
      findings.push(
        finding('multiple-leaders', 'same-term', 'error', `${workers.length} workers registered themselves as leader of epoch ${epoch}`, { epoch, workers }, FIX),
      );
    }

    const lease = [...evidence.samples].reverse().find((sample) => sample.state === 'valid')?.record;
    if (lease !== undefined && lease.leader !== null && !isResetHolder(lease.leader)) {
      const conflicting = claims.filter((claim) => claim.record.epoch === lease.epoch && claim.workerId !== lease.leader);
      if (conflicting.length > 0) {
        findings.push(
          finding(
            'multiple-leaders',
            'conflicting-claim',
            'error',
            `The lease record gives epoch ${lease.epoch} to ${lease.leader}, but ${conflicting.map((claim) => claim.workerId).join(', ')} registered as its leader`,
            { epoch: lease.epoch, leaseHolder: lease.leader, claimants: conflicting.map((claim) => claim.workerId) },
            FIX,
          ),
        );
      }
    }
    const highestRegistered = Math.max(0, ...registrations.map((registration) => registration.record?.epoch ?? 0));
    if (lease !== undefined && highestRegistered > lease.epoch) {
      findings.push(
        finding(
          'multiple-leaders',
          'epoch-behind-registrations',
          'warning',
          `The lease record is at epoch ${lease.epoch}, below epoch ${highestRegistered} that a worker registered: state.json was rewritten by hand or restored from a backup, so an epoch may be reused`,
          { leaseEpoch: lease.epoch, highestRegisteredEpoch: highestRegistered },
          'Run `baton reset-leader --yes`: the reset writes an epoch above every one in use',
        ),
      );
    }

    const epochs = evidence.samples.flatMap((sample) => (sample.record === undefined ? [] : [sample.record.epoch]));
    const regressions = epochs.flatMap((epoch, index) => (index > 0 && epoch < (epochs[index - 1] ?? 0) ? [{ from: epochs[index - 1], to: epoch }] : []));
    if (regressions.length > 0) {
      findings.push(
        finding('multiple-leaders', 'epoch-regressed', 'error', 'The lease epoch went backwards during the sampling window', { regressions }, FIX),
      );
    }

    const announced = new Map<number, Set<string>>();
    for (const event of evidence.inProcess?.leaderEvents ?? []) {
      if (event.newLeader === null) continue;
      const leaders = announced.get(event.epoch) ?? new Set<string>();
      leaders.add(event.newLeader);
      announced.set(event.epoch, leaders);
    }
    for (const [epoch, leaders] of announced) {
      if (leaders.size < 2) continue;
      findings.push(
        finding('multiple-leaders', 'announced-twice', 'error', `This process saw ${leaders.size} different leaders announced for epoch ${epoch}`, { epoch, leaders: [...leaders] }, FIX),
      );
    }
    return findings;
  },
};

