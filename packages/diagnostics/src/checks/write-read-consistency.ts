import { finding, type Check } from './check';

/** The guide's write-then-read test (Solution C), plus a read after overwrite and after delete. */
export const writeReadConsistencyCheck: Check = {
  id: 'write-read-consistency',
  title: 'Write-then-read consistency',
  guideSection: '2. Multiple Leaders (Solution C: check S3 consistency)',
  run(evidence) {
    const { readBack, readAfterOverwrite, readAfterDelete, key } = evidence.scratch;
    if (readBack === 'not-run' || readBack === 'failed') return { skipped: 'the store could not be written or read (see service-start)' };
    const problems: string[] = [];
    if (readBack !== 'match') problems.push(`a read right after a write returned ${readBack === 'missing' ? 'nothing' : 'other bytes'}`);
    if (readAfterOverwrite === 'mismatch' || readAfterOverwrite === 'missing') problems.push('a read right after an overwrite returned the old bytes or nothing');
    if (readAfterDelete === 'present') problems.push('a read right after a delete still found the object');
    if (problems.length === 0) return [];
    return [
      finding(
        'write-read-consistency',
        'stale-reads',
        'error',
        `The store is not read-after-write consistent: ${problems.join('; ')} (Consistency OK: false)`,
        { key, readBack, readAfterOverwrite, readAfterDelete },
        'Leases need read-after-write consistency: use AWS S3 (strongly consistent since 2020), Ceph RGW, or a store that passes `baton verify-storage`; disable caches or proxies between workers and the store',
      ),
    ];
  },
};
