import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreConfigurationError } from './errors';
import { assertValidPrefix } from './keys';

/** Where and how to reach an S3 bucket: what an `s3://` connection string carries. */
export interface S3ConnectionOptions {
  /** The bucket name. */
  bucket: string;
  /** Every key is stored under this prefix: `''`, or segments ending in `/` (e.g. `team-a/baton/`). */
  prefix: string;
  /** A custom endpoint for S3-compatible stores, e.g. `http://127.0.0.1:7480`. AWS when absent. */
  endpoint?: string;
  /** The region; `us-east-1` when absent. */
  region?: string;
  /** Address buckets as `endpoint/bucket` instead of `bucket.endpoint` (needed by most S3-compatibles). */
  forcePathStyle?: boolean;
  /** Static credentials; the AWS default provider chain (env, profile, instance role) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** A parsed connection string. */
export type ConnectionString =
  | { kind: 'memory'; name: string }
  | { kind: 'file'; directory: string }
  | { kind: 's3'; options: S3ConnectionOptions };

const FORMATS = 'memory://NAME, file:///absolute/dir, file://./relative/dir, or s3://[ACCESS:SECRET@]bucket[/prefix][?endpoint=…&region=…&forcePathStyle=true]';

/**
 * Parses a store connection string. The one place where they are understood:
 *
 * - `memory://NAME`: a store shared by everything in this process that names the same NAME;
 * - `file:///abs/dir` or `file://./rel/dir`: a directory, resolved against `baseDirectory`;
 * - `s3://ACCESS:SECRET@bucket/prefix?endpoint=…&region=…&forcePathStyle=true`: credentials are
 *   optional (the AWS default chain is used without them) and must be percent-encoded.
 *
 * @throws {StoreConfigurationError} naming the part that is wrong and the expected form.
 */
export function parseConnectionString(connectionString: string, baseDirectory = process.cwd()): ConnectionString {
  if (typeof connectionString !== 'string' || connectionString.trim() === '') {
    throw new StoreConfigurationError(`A connection string is required: ${FORMATS}`);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(connectionString)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory':
      return parseMemory(connectionString);
    case 'file':
      return parseFile(connectionString, baseDirectory);
    case 's3':
      return parseS3(connectionString);
    default:
      throw new StoreConfigurationError(
        `Unsupported connection string ${JSON.stringify(redactConnectionString(connectionString))}: expected ${FORMATS}`,
      );
  }
}

function parseMemory(connectionString: string): ConnectionString {
  const name = decodeURIComponent(connectionString.slice('memory://'.length));
  if (name === '' || name.includes('/') || name.includes('?')) {
    throw new StoreConfigurationError(`A memory store needs a plain name, e.g. memory://default; got ${JSON.stringify(connectionString)}`);
  }
  return { kind: 'memory', name };
}

function parseFile(connectionString: string, baseDirectory: string): ConnectionString {
  const rest = connectionString.slice('file://'.length);
  if (rest === '') {
    throw new StoreConfigurationError('A file store needs a directory: file:///absolute/dir or file://./relative/dir');
  }
  if (rest.startsWith('/')) {
    return { kind: 'file', directory: fileURLToPath(`file://${rest}`) };
  }
  if (rest.startsWith('./') || rest.startsWith('../') || rest === '.' || rest === '..') {
    const directory = resolve(baseDirectory, decodeURIComponent(rest));
    return { kind: 'file', directory };
  }
  throw new StoreConfigurationError(
    `A file store path must be absolute (file:///var/lib/baton) or start with ./ or ../ (file://./data); got ${JSON.stringify(connectionString)}`,
  );
}

function parseS3(connectionString: string): ConnectionString {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch (error) {
    throw new StoreConfigurationError(
      `Malformed s3:// connection string ${JSON.stringify(redactConnectionString(connectionString))}: expected s3://[ACCESS:SECRET@]bucket[/prefix][?endpoint=…]`,
      error,
    );
  }
  const bucket = url.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new StoreConfigurationError(
      `Invalid bucket name ${JSON.stringify(bucket)} in s3:// connection string: 3-63 lowercase letters, digits, dots or hyphens`,
    );
  }
  const prefix = normalizePrefix(decodeURIComponent(url.pathname.replace(/^\//, '')));
  const options: S3ConnectionOptions = { bucket, prefix };

  if (url.username !== '' || url.password !== '') {
    if (url.username === '' || url.password === '') {
      throw new StoreConfigurationError('s3:// credentials need both parts: s3://ACCESS_KEY:SECRET_KEY@bucket');
    }
    options.credentials = { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) };
  }

  for (const [name, value] of url.searchParams) {
    switch (name) {
      case 'endpoint':
        options.endpoint = parseEndpoint(value);
        break;
      case 'region':
        if (!/^[a-z0-9-]+$/.test(value)) throw new StoreConfigurationError(`Invalid region ${JSON.stringify(value)} in s3:// connection string`);
        options.region = value;
        break;
      case 'forcePathStyle':
        if (value !== 'true' && value !== 'false') {
          throw new StoreConfigurationError(`forcePathStyle must be true or false, got ${JSON.stringify(value)}`);
        }
        options.forcePathStyle = value === 'true';
        break;
      case 'sessionToken':
        if (options.credentials === undefined) throw new StoreConfigurationError('sessionToken needs ACCESS:SECRET credentials in the s3:// connection string');
        options.credentials.sessionToken = value;
        break;
      default:
        throw new StoreConfigurationError(
          `Unknown s3:// option ${JSON.stringify(name)}: expected endpoint, region, forcePathStyle or sessionToken`,
        );
    }
  }
  return { kind: 's3', options };
}

function parseEndpoint(value: string): string {
  let endpoint: URL;
  try {
    endpoint = new URL(value);
  } catch (error) {
    throw new StoreConfigurationError(`Invalid endpoint ${JSON.stringify(value)}: expected a URL such as http://127.0.0.1:7480`, error);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new StoreConfigurationError(`The endpoint must be http:// or https://, got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/+$/, '');
}

/** Turns `a/b` or `a/b/` into `a/b/`; `''` stays `''`. Rejects prefixes that are not valid key starts. */
export function normalizePrefix(prefix: string): string {
  if (prefix === '') return '';
  const withSlash = prefix.endsWith('/') ? prefix : `${prefix}/`;
  try {
    assertValidPrefix(withSlash);
  } catch (error) {
    throw new StoreConfigurationError(`Invalid key prefix ${JSON.stringify(prefix)}: ${(error as Error).message}`, error);
  }
  return withSlash;
}

/** The connection string with any password or secret replaced by `***`, safe to log. */
export function redactConnectionString(connectionString: string): string {
  return connectionString
    .replace(/^([a-z0-9+.-]+:\/\/)([^@/?#]*)@/i, (_match, scheme: string, userInfo: string) => {
      const user = userInfo.split(':')[0] ?? '';
      return `${scheme}${user === '' ? '' : `${user}:`}***@`;
    })
    .replace(/([?&](?:sessionToken|secret[^=]*)=)[^&]*/gi, '$1***');
}
