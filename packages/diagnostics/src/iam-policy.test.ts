import { describe, expect, it } from 'vitest';
import { iamPolicy } from './iam-policy';

describe('iamPolicy', () => {
  it('covers exactly the coordinator folders under the prefix', () => {
    const policy = iamPolicy({ bucket: 'my-bucket', prefix: 'team-a/baton' });
    expect(policy.Statement[0]?.Resource).toEqual(['arn:aws:s3:::my-bucket/team-a/baton/plg_coordinator_global/*']);
    expect(policy.Statement[1]).toMatchObject({ Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::my-bucket'], Condition: { StringLike: { 's3:prefix': ['team-a/baton/plg_coordinator_global/*'] } } });
  });

  it('narrows to namespaces (plus the probe folder) and adds per-plugin elections', () => {
    const policy = iamPolicy({ bucket: 'my-bucket', namespaces: ['default', 'jobs'], perPluginElections: ['queue'] });
    expect(policy.Statement[0]?.Resource).toEqual([
      'arn:aws:s3:::my-bucket/plg_coordinator_global/default/*',
      'arn:aws:s3:::my-bucket/plg_coordinator_global/jobs/*',
      'arn:aws:s3:::my-bucket/plg_coordinator_global/.probe/*',
      'arn:aws:s3:::my-bucket/plg_queue/coordinator/*',
      'arn:aws:s3:::my-bucket/plg_queue/.probe/*',
    ]);
    expect(iamPolicy({ bucket: 'my-bucket', queues: ['emails'], ttlCollections: ['sessions'] }).Statement[0]?.Resource).toEqual([
      'arn:aws:s3:::my-bucket/plg_coordinator_global/*',
      'arn:aws:s3:::my-bucket/queues/emails/*',
      'arn:aws:s3:::my-bucket/ttl/sessions/*',
    ]);
    expect(() => iamPolicy({ bucket: 'my-bucket', namespaces: ['../x'] })).toThrow(/Invalid coordinator namespace/);
    expect(() => iamPolicy({ bucket: 'my-bucket', queues: ['../x'] })).toThrow(/name/);
    expect(() => iamPolicy({ bucket: 'Bad_Bucket' })).toThrow(/Invalid bucket/);
  });
});
