import { describe, expect, it } from 'vitest';
import { redactSecrets, secretsOf } from './redact';

describe('redactSecrets', () => {
  it('masks secret fields, URL passwords and known secrets anywhere', () => {
    const url = 's3://AKIAEXAMPLE:wJalr%2FXUtnFEMI@bucket/prefix?endpoint=http://127.0.0.1:7480';
    const secrets = secretsOf(url, {});
    const redacted = redactSecrets(
      {
        url,
        config: { secretAccessKey: 'anything', nested: [{ sessionToken: 'tok-123456' }] },
        message: 'request signed with wJalr/XUtnFEMI failed',
        leaseTimeout: 15000,
      },
      secrets,
    );
    const text = JSON.stringify(redacted);
    for (const secret of ['wJalr/XUtnFEMI', 'wJalr%2FXUtnFEMI', 'AKIAEXAMPLE', 'anything', 'tok-123456']) expect(text).not.toContain(secret);
    expect(redacted.leaseTimeout).toBe(15000);
    expect(redacted.url).toBe('s3://***@bucket/prefix?endpoint=http://127.0.0.1:7480');
  });

  it('collects secrets from the environment', () => {
    expect(secretsOf(undefined, { AWS_SECRET_ACCESS_KEY: 'from-env-secret', BATON_URL: 's3://key1:sec%40ret1@bucket' })).toEqual(
      expect.arrayContaining(['from-env-secret', 'sec@ret1', 'key1']),
    );
  });
});
