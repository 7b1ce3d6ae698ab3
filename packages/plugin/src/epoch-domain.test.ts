import { describe, expect, it } from 'vitest';
import { isEpochInDomain, MAX_EPOCH } from './epoch-domain';

describe('the epoch domain', () => {
  it('holds the whole numbers 0..2^40 and nothing else', () => {
    for (const epoch of [0, 1, 41, MAX_EPOCH]) expect(isEpochInDomain(epoch), String(epoch)).toBe(true);
    for (const epoch of [-1, 1.5, MAX_EPOCH + 1, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY, Number.NaN, '1', null, undefined]) {
      expect(isEpochInDomain(epoch), String(epoch)).toBe(false);
    }
  });
});
