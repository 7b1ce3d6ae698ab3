import { isEpochInDomain, MAX_EPOCH } from '@baton/coordinator-core';
import type { EpochOwner, StoredEpoch } from '../evidence';
import type { Finding } from '../report';
import { finding, type Check } from './check';

/** At most this many registrations are listed in one finding's evidence. */
const LISTED = 10;

/** The `baton reset-leader` command for a folder's owner. */
function resetCommand(owner: EpochOwner): string {
  return 'plugin' in owner ? `baton reset-leader --yes --plugin ${owner.plugin}` : `baton reset-leader --yes --namespace ${owner.namespace}`;
}

function ownerLabel(owner: EpochOwner): string {
  return 'plugin' in owner ? `plugin ${owner.plugin}` : `namespace ${owner.namespace}`;
}

/**
 * The epoch domain (`0..2^40`, whole numbers): a stored epoch outside it was not written by any
 * term — a hand edit or another tool. The libraries treat such a record as unreadable so that it
 * cannot end the election or fence real leaders out; this check says where it is and how to get
 * past it: `baton reset-leader` replaces a lease record or a ledger by compare-and-swap (its epoch
 * is reserved above every valid epoch), and registrations with such an epoch are ignored.
 */
export const epochDomainCheck: Check = {
  id: 'epoch-domain',
  title: 'Epochs within the epoch domain',
  guideSection: 'Recovery Procedures: Corrupted State',
  run(evidence) {
    const findings: Finding[] = [];
    const outside = evidence.storedObjects.epochs.filter((stored) => !isEpochInDomain(stored.value));
    for (const stored of outside.filter((entry) => entry.kind === 'lease')) {
      findings.push(
        finding(
          'epoch-domain',
          'lease-record',
          'error',
          `${stored.key} (the lease of ${ownerLabel(stored.owner)}) claims epoch ${describe(stored.value)}, outside the epoch domain 0..${MAX_EPOCH}: no term has it, so workers treat the record as unreadable and wait it out`,
          { key: stored.key, value: stored.value, ...stored.owner },
          `Run \`${resetCommand(stored.owner)}\`: it replaces the record by compare-and-swap with a held reset record at an epoch above every valid one (reserved in the ledger); a worker takes over after a full leaseTimeout. Do not edit or delete state.json by hand`,
        ),
      );
    }
    for (const stored of outside.filter((entry) => entry.kind === 'ledger')) {
      findings.push(
        finding(
          'epoch-domain',
          'ledger',
          'error',
          `${stored.key} (the epoch ledger of ${ownerLabel(stored.owner)}) holds highestEpoch ${describe(stored.value)}, outside the epoch domain 0..${MAX_EPOCH}: the floor of the epochs is lost, and workers fall back to the lease record and registrations`,
          { key: stored.key, value: stored.value, ...stored.owner },
          `Run \`${resetCommand(stored.owner)}\`: its epoch reservation replaces the ledger by compare-and-swap (the next term's reservation would too). Do not edit or delete epoch.json by hand`,
        ),
      );
    }
    const registrations = outside.filter((entry) => entry.kind === 'registration');
    for (const owner of uniqueOwners(registrations)) {
      const mine = registrations.filter((entry) => sameOwner(entry.owner, owner));
      findings.push(
        finding(
          'epoch-domain',
          'registrations',
          'error',
          `${mine.length} registration(s) of ${ownerLabel(owner)} claim an epoch outside the epoch domain 0..${MAX_EPOCH}: not written by a term (elections and recovery ignore them)`,
          { ...owner, count: mine.length, keys: mine.slice(0, LISTED).map(({ key }) => key), registrations: mine.slice(0, LISTED).map(({ key, value }) => ({ key, value })) },
          `Find what writes them (no worker does). A live worker rewrites its own at its next refresh; the leader removes a stale one within 2 x workerTimeout; \`${resetCommand(owner)}\` is not needed for them`,
        ),
      );
    }
    return findings;
  },
};

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function sameOwner(left: EpochOwner, right: EpochOwner): boolean {
  return 'plugin' in left ? 'plugin' in right && left.plugin === right.plugin : 'namespace' in right && left.namespace === right.namespace;
}

function uniqueOwners(epochs: readonly StoredEpoch[]): EpochOwner[] {
  const owners: EpochOwner[] = [];
  for (const { owner } of epochs) if (!owners.some((known) => sameOwner(known, owner))) owners.push(owner);
  return owners;
}
