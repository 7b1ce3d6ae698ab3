import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from './errors';
import { assertValidKey, assertValidPrefix, compareKeys } from './keys';

describe('assertValidKey', () => {
  it.each([
    ['', /empty/],
    ['/etc/passwd', /starts with "\/"/],
    ['a/../b', /"\.\." segment/],
    ['..', /"\.\." segment/],
    ['a/./b', /"\." segment/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['a\u0000b', /control character/],
    ['a\\b', /backslash/],
    ['\uDC00', /surrogate/],
    ['x'.repeat(1025), /longer than 1024/],
    ['é'.repeat(513), /longer than 1024/],
  ])('rejects %j, saying why', (key, reason) => {
    expect(() => assertValidKey(key, 'put')).toThrow(InvalidKeyError);
    expect(() => assertValidKey(key, 'put')).toThrow(reason);
  });

  it('names the key and the operation in the error', () => {
    const error = (() => {
      try {
        assertValidKey('a/../b', 'delete');
      } catch (caught) {
        return caught as InvalidKeyError;
      }
      throw new Error('no error');
    })();
    expect(error.code).toBe('INVALID_KEY');
    expect(error.key).toBe('a/../b');
    expect(error.operation).toBe('delete');
    expect(error.message).toContain('"a/../b"');
  });

  it.each(['a', 'a/b/c', '...', '.hidden/x', 'a..b', 'x'.repeat(1024), '日本/😀', 'with space/and+plus'])('accepts %j', (key) => {
    expect(() => assertValidKey(key, 'get')).not.toThrow();
  });
});

describe('assertValidPrefix', () => {
  it('accepts empty, partial and directory prefixes', () => {
    for (const prefix of ['', 'a', 'a/', 'a/b', 'jobs/ready-']) expect(() => assertValidPrefix(prefix)).not.toThrow();
  });

  it('rejects prefixes that no valid key starts with', () => {
    for (const prefix of ['/', '../', 'a//', 'a/../', '\u0000']) expect(() => assertValidPrefix(prefix)).toThrow(InvalidKeyError);
  });
});

describe('compareKeys', () => {
  it('orders by UTF-8 bytes, as S3 lists, not by UTF-16 code units', () => {
    // U+FFFD is EF BF BD in UTF-8, U+1F600 is F0 9F 98 80: the emoji sorts last in S3 ...
    expect(compareKeys('\uFFFD', '😀')).toBeLessThan(0);
    // ... while JavaScript's own comparison puts the surrogate pair first.
    expect(['😀', '\uFFFD'].sort()).toEqual(['😀', '\uFFFD']);
    expect(['b', 'a/b', 'a', 'a.b'].sort(compareKeys)).toEqual(['a', 'a.b', 'a/b', 'b']);
  });
});
