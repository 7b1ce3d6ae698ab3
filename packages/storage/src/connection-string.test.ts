import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizePrefix, parseConnectionString, redactConnectionString } from './connection-string';
import { StoreConfigurationError } from './errors';

describe('parseConnectionString', () => {
  it('parses memory://NAME', () => {
    expect(parseConnectionString('memory://default')).toEqual({ kind: 'memory', name: 'default' });
  });

  it('parses absolute and relative file:// paths', () => {
    expect(parseConnectionString('file:///var/lib/baton')).toEqual({ kind: 'file', directory: '/var/lib/baton' });
    expect(parseConnectionString('file://./data', '/srv/app')).toEqual({ kind: 'file', directory: join('/srv/app', 'data') });
    expect(parseConnectionString('file://../shared/data', '/srv/app')).toEqual({ kind: 'file', directory: '/srv/shared/data' });
    const relative = parseConnectionString('file://./x');
    expect(relative.kind === 'file' && isAbsolute(relative.directory)).toBe(true);
  });

  it('parses a full s3:// string with credentials, prefix and options', () => {
    expect(
      parseConnectionString('s3://AKIA:s%2Fecret@my-bucket/team/baton?endpoint=http://127.0.0.1:7480/&region=eu-west-1&forcePathStyle=true'),
    ).toEqual({
      kind: 's3',
      options: {
        bucket: 'my-bucket',
        prefix: 'team/baton/',
        endpoint: 'http://127.0.0.1:7480',
        region: 'eu-west-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIA', secretAccessKey: 's/ecret' },
      },
    });
  });

  it('parses s3:// without credentials or prefix (AWS default chain)', () => {
    expect(parseConnectionString('s3://bucket')).toEqual({ kind: 's3', options: { bucket: 'bucket', prefix: '' } });
  });

  it.each([
    ['', /connection string is required/],
    ['postgres://localhost/db', /Unsupported connection string/],
    ['memory://', /plain name/],
    ['file://', /needs a directory/],
    ['file://data', /must be absolute .* or start with \.\//],
    ['s3://Bad_Bucket', /Invalid bucket name/],
    ['s3://bucket?endpoint=ftp://x', /http:\/\/ or https:\/\//],
    ['s3://bucket?endpoint=not a url', /Invalid endpoint/],
    ['s3://bucket?forcePathStyle=yes', /true or false/],
    ['s3://bucket?colour=blue', /Unknown s3:\/\/ option "colour"/],
    ['s3://onlyuser@bucket', /both parts/],
    ['s3://bucket/a%2F%2Fb', /Invalid key prefix/],
  ])('rejects %j with a message naming the problem', (connectionString, message) => {
    expect(() => parseConnectionString(connectionString)).toThrow(StoreConfigurationError);
    expect(() => parseConnectionString(connectionString)).toThrow(message);
  });

  it('never puts the secret in an error message', () => {
    expect(() => parseConnectionString('s4://user:topsecret@bucket')).toThrow(/s4:\/\/user:\*\*\*@bucket/);
    try {
      parseConnectionString('s4://user:topsecret@bucket');
    } catch (error) {
      expect(String(error)).not.toContain('topsecret');
    }
  });
});

describe('redactConnectionString', () => {
  it('hides passwords and session tokens', () => {
    expect(redactConnectionString('s3://key:secret@bucket/p?sessionToken=abc&region=x')).toBe('s3://key:***@bucket/p?sessionToken=***&region=x');
    expect(redactConnectionString('file:///tmp/x')).toBe('file:///tmp/x');
  });
});

describe('normalizePrefix', () => {
  it('ends non-empty prefixes with a slash', () => {
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('a/b')).toBe('a/b/');
    expect(normalizePrefix('a/b/')).toBe('a/b/');
  });
});
