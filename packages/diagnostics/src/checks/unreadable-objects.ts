import type { UnreadableKind } from '../evidence';
import type { Finding } from '../report';
import { finding, type Check } from './check';

/** At most this many keys are listed in one finding's evidence (the count says how many there are). */
const LISTED = 10;

/** Deleting one version only: what an operator runs for an object nothing of baton's wrote. */
const DELETE_VERSION =
  'delete that version only, `aws s3api delete-object --bucket BUCKET --key PREFIX/KEY --if-match ETAG` (the ETag is in the evidence; where the store ignores If-Match on DELETE, as Ceph RGW does, re-read it first and delete only if the ETag is unchanged)';

const KINDS: Record<UnreadableKind, { what: string; effect: string; fix: string }> = {
  'queue-job-records': {
    what: 'job record(s) the queue cannot read',
    effect: 'workers skip them and delete their markers; each job is stuck until repaired or removed',
    fix: `Inspect each (\`aws s3 cp s3://BUCKET/PREFIX/KEY -\`). Repair it to a valid job record (restore it from a backup), or, if it is garbage, ${DELETE_VERSION}`,
  },
  'queue-markers': {
    what: 'object(s) in the ready, delayed or dead index that are not markers the queue writes',
    effect: 'workers and the leader delete a malformed marker as stale; one under a key the store refuses stays',
    fix: `Nothing to repair: markers are hints (the job record is the truth). Remove what stays, ${DELETE_VERSION}`,
  },
  'queue-journal': {
    what: 'object(s) in the completion journal that are not journal objects',
    effect: "the leader's next sweep deletes those under keys the store accepts; the others stay",
    fix: `Find what writes under finished/ (no queue worker writes such objects). If they remain after the leader's next sweep, remove them with the tool that wrote them or ${DELETE_VERSION}`,
  },
  'ttl-records': {
    what: 'TTL record(s) the collection cannot read',
    effect: 'the sweep removes their due markers and keeps them; get/touch/delete throw CorruptRecordError, set replaces garbage',
    fix: `Inspect each. A record of another @baton/ttl version (the reason says so) needs a sweeper of that version, not deleting; repair another by \`collection.set(key, value)\`, or, if it is garbage, ${DELETE_VERSION}`,
  },
  'ttl-markers': {
    what: 'object(s) in the due-marker lanes that are not markers the collection writes',
    effect: 'the sweep skips them and leaves them in place',
    fix: `Find what writes under due/ (no version of baton writes such names), then ${DELETE_VERSION}`,
  },
  'worker-keys': {
    what: 'object(s) under workers/ that are not registrations (workers/<worker id>.json)',
    effect: 'no worker reads or removes them',
    fix: `Find what writes them (no worker does), then ${DELETE_VERSION}. Never delete a registration (workers/<id>.json) by hand: \`baton clear-corrupted --yes\` removes unreadable ones as read`,
  },
};

/**
 * Objects the libraries set aside as unreadable (each costs only itself: skipped with a warning
 * and counted in the plugin's metrics), found by the libraries' own scans of their folders:
 * one warning per kind and owner, with the first keys, their reasons and the fix.
 */
export const unreadableObjectsCheck: Check = {
  id: 'unreadable-objects',
  title: 'Objects set aside as unreadable',
  guideSection: 'Recovery Procedures: Corrupted State',
  run(evidence) {
    const findings: Finding[] = [];
    for (const group of evidence.storedObjects.unreadable) {
      const kind = KINDS[group.kind];
      findings.push(
        finding(
          'unreadable-objects',
          group.kind,
          'warning',
          `${group.objects.length}${group.truncated ? '+' : ''} ${kind.what} in ${group.owner} (${group.prefix}): ${kind.effect}`,
          {
            owner: group.owner,
            prefix: group.prefix,
            count: group.objects.length,
            ...(group.truncated ? { scanTruncated: true } : {}),
            keys: group.objects.slice(0, LISTED).map((object) => object.key),
            objects: group.objects.slice(0, LISTED),
          },
          kind.fix,
        ),
      );
    }
    for (const { prefix, error } of evidence.storedObjects.errors) {
      findings.push(
        finding(
          'unreadable-objects',
          'scan-failed',
          'info',
          `${prefix} could not be scanned for unreadable objects: ${error.message}`,
          { prefix, error },
          `Allow s3:ListBucket and s3:GetObject on ${prefix} to the doctor's credentials (see \`baton iam-policy\`), or ignore this if it is not used`,
        ),
      );
    }
    return findings;
  },
};
