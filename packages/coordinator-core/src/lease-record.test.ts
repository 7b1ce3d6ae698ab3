import { describe, expect, it } from 'vitest';
import { encodeLeaseRecord, LEASE_RECORD_FORMAT, parseLeaseRecord, type LeaseRecord } from './lease-record';

const record: LeaseRecord = {
  format: LEASE_RECORD_FORMAT,
  namespace: 'default',
  leader: 'gcs-default-1-abc',
  epoch: 3,
  renewals: 10,
  leaseTimeout: 15_000,
  previousLeader: null,
  acquiredAt: 1,
  renewedAt: 2,
};
const bytes = (text: string) => new TextEncoder().encode(text);

describe('parseLeaseRecord', () => {
  it('round-trips a record', () => {
    expect(parseLeaseRecord(bytes(encodeLeaseRecord(record)))).toEqual({ valid: true, record });
  });

  it.each([
    ['truncated JSON', '{"format":"baton.lease/v1","lea', /not JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['a foreign record', '{"leader":"x"}', /format/],
    ['wrong types', JSON.stringify({ ...record, epoch: '3', leader: 5 }), /epoch/],
    ['a negative epoch', JSON.stringify({ ...record, epoch: -1 }), /epoch/],
    ['invalid UTF-8', '\uFFFD', /not JSON/],
  ])('reports %s as invalid without throwing', (_name, text, reason) => {
    const parsed = parseLeaseRecord(text === '\uFFFD' ? new Uint8Array([0xff, 0xfe]) : bytes(text));
    expect(parsed.valid).toBe(false);
    if (!parsed.valid) expect(parsed.reason).toMatch(reason);
  });
});
