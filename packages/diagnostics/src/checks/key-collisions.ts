import { COORDINATOR_ROOT } from '@baton/coordinator-core';
import type { Finding } from '../report';
import { finding, type Check } from './check';

const FIX_FOREIGN =
  'Each namespace must be written only by its own coordinators: check that no two deployments share a bucket and prefix with different layouts, and that nothing copies state between namespaces. Then `baton reset-leader --yes --namespace NAME` for the affected namespace';

/**
 * Guide section 10: namespaces that interfere. Records in a namespace's folder that name another
 * namespace, and one worker leading two namespaces. (Two coordinators on one key cannot happen:
 * namespaces are single key segments, and the core refuses the one plugin name whose own election
 * would land in the global coordinators' folder.)
 */
export const keyCollisionsCheck: Check = {
  id: 'key-collisions',
  title: 'Storage key collisions',
  guideSection: '10. Storage Key Collisions',
  run(evidence) {
    const findings: Finding[] = [];
    if ('error' in evidence.folders && evidence.inProcess === undefined) {
      // A policy narrowed to some namespaces may not allow listing the root: nothing to compare.
      return { skipped: `cannot list ${COORDINATOR_ROOT}/: ${evidence.folders.error.message}` };
    }
    if ('folders' in evidence.folders) {
      const folders = evidence.folders.folders;
      for (const folder of folders) {
        if (folder.lease?.valid === true && folder.lease.namespace !== folder.name) {
          findings.push(
            finding(
              'key-collisions',
              'foreign-lease-record',
              'error',
              `${COORDINATOR_ROOT}/${folder.name}/state.json holds the lease of namespace ${String(folder.lease.namespace)}`,
              { folder: folder.name, recordNamespace: folder.lease.namespace, leader: folder.lease.leader, epoch: folder.lease.epoch },
              FIX_FOREIGN,
            ),
          );
        }
        const foreign = folder.registrations.filter((registration) => registration.namespace !== undefined && registration.namespace !== folder.name);
        if (foreign.length > 0) {
          findings.push(
            finding(
              'key-collisions',
              'foreign-registrations',
              'error',
              `${foreign.length} registration(s) under ${COORDINATOR_ROOT}/${folder.name}/workers/ belong to another namespace`,
              { folder: folder.name, registrations: foreign },
              FIX_FOREIGN,
            ),
          );
        }
      }
      const leaders = new Map<string, string[]>();
      for (const folder of folders) {
        const leader = folder.lease?.leader;
        if (typeof leader === 'string') leaders.set(leader, [...(leaders.get(leader) ?? []), folder.name]);
      }
      for (const [leader, namespaces] of leaders) {
        if (namespaces.length < 2) continue;
        findings.push(
          finding(
            'key-collisions',
            'shared-leader',
            'error',
            `Worker ${leader} holds the lease of ${namespaces.length} namespaces (${namespaces.join(', ')}): the same leader in two namespaces`,
            { leader, namespaces },
            FIX_FOREIGN,
          ),
        );
      }
    }
    return findings;
  },
};
