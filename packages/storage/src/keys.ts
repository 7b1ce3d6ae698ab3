import { InvalidKeyError, type StorageOperation } from './errors';

/** The longest key, in UTF-8 bytes, that every backend accepts (S3's own limit). */
export const MAX_KEY_BYTES = 1024;

// Control characters break logs, URLs and file names; a key never needs them.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Throws {@link InvalidKeyError} unless `key` is a key every backend can store without it
 * escaping its prefix or directory: 1 to 1024 UTF-8 bytes, `/`-separated segments that are
 * neither empty, `.` nor `..`, no leading `/`, no backslash, no control characters (NUL included)
 * and no unpaired UTF-16 surrogates.
 */
export function assertValidKey(key: string, operation: StorageOperation): void {
  const problem = describeKeyProblem(key, false);
  if (problem !== undefined) throw new InvalidKeyError(key, problem, operation);
}

/**
 * Throws {@link InvalidKeyError} unless `prefix` is a valid list prefix: empty, or the start of a
 * valid key (its last segment may be partial or empty, e.g. `jobs/` or `jobs/ready-`).
 */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = describeKeyProblem(prefix, true);
  if (problem !== undefined) throw new InvalidKeyError(prefix, problem, 'list');
}

function describeKeyProblem(key: unknown, isPrefix: boolean): string | undefined {
  if (typeof key !== 'string') return `keys are strings, got ${typeof key}`;
  if (key.length === 0) return 'the key is empty';
  if (!key.isWellFormed()) return 'the key contains an unpaired UTF-16 surrogate, which has no UTF-8 form';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `the key is longer than ${MAX_KEY_BYTES} UTF-8 bytes`;
  if (CONTROL_CHARACTER.test(key)) return 'the key contains a control character (NUL, newline, ...)';
  if (key.includes('\\')) return 'the key contains a backslash; use "/" to separate segments';
  if (key.startsWith('/')) return 'the key starts with "/"; keys are relative to the store';
  const segments = key.split('/');
  // A prefix may end in the middle of a segment, or right after a "/".
  const completeSegments = isPrefix ? segments.slice(0, -1) : segments;
  for (const segment of completeSegments) {
    if (segment === '') return 'the key has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return `the key has a "${segment}" segment, which could escape its directory`;
  }
  return undefined;
}

/** Compares keys by their UTF-8 bytes: the order S3 lists in, which differs from `<` on strings. */
export function compareKeys(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}
