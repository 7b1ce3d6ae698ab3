import { assertValidKey, compareKeys } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { decodeRecordKey, encodeRecordKey, granularityFor, TTLKeys } from './ttl-keys';

describe('TTLKeys', () => {
  const keys = new TTLKeys('sessions');

  it('encodes any well-formed key as one segment that cannot escape the collection', () => {
    for (const key of ['a', '..', '.', 'a/b/../c', 'sp ace', '100%', 'ünï/cødé', '\u0000nul', '~-_', 'emoji-😀']) {
      const encoded = encodeRecordKey(key);
      expect(encoded).toMatch(/^[A-Za-z0-9_~%-]+$/);
      expect(decodeRecordKey(encoded)).toBe(key);
      expect(() => {
        assertValidKey(keys.record(key), 'put');
      }).not.toThrow();
      expect(keys.record(key).startsWith('ttl/sessions/records/')).toBe(true);
    }
    expect(decodeRecordKey('a.b')).toBeUndefined(); // never produced by encodeRecordKey
  });

  it('orders the markers of one lane by sweep time, across cohorts, in the store\'s byte order', () => {
    const times = [59_999, 60_000, 61_000, 119_999, 3_600_000, 86_400_000 * 3 + 5];
    const shuffled = [...times].reverse().map((time, index) => keys.marker(`key-${index}`, 'minute', time, 'id'));
    const sorted = [...shuffled].sort(compareKeys);
    expect(sorted.map((key) => keys.parseMarker(key)?.sweepAt)).toEqual(times);
  });

  it('parses what it writes, and ignores foreign keys', () => {
    const key = keys.marker('a/b', 'hour', 7_200_123, 'abc123');
    expect(key).toBe('ttl/sessions/due/hour/000000007200000/000000007200123-a%2Fb/abc123');
    expect(keys.parseMarker(key)).toEqual({ key, granularity: 'hour', sweepAt: 7_200_123, recordKey: 'a/b', markerId: 'abc123' });
    expect(keys.parseMarker('ttl/sessions/due/hour/whatever')).toBeUndefined();
    expect(keys.parseMarker('ttl/other/due/hour/000000007200000/000000007200123-a/abc')).toBeUndefined();
    // A sweep time outside its cohort would break the lane's order: not a marker of this package.
    expect(keys.parseMarker('ttl/sessions/due/hour/000000000000000/000000007200123-a/abc')).toBeUndefined();
  });

  it('picks the granularity from the time left', () => {
    expect(granularityFor(30_000)).toBe('minute');
    expect(granularityFor(5 * 3_600_000)).toBe('hour');
    expect(granularityFor(10 * 86_400_000)).toBe('day');
  });
});
