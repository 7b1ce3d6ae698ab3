import { describe, expect, it } from 'vitest';
import { CorruptRecordError } from './errors';
import { encodeJobRecord, JOB_RECORD_FORMAT, parseJobRecord, type JobRecord } from './job-record';

const DEAD: JobRecord = {
  format: JOB_RECORD_FORMAT,
  id: '000000000purging00000',
  queue: 'records',
  state: 'dead',
  data: null,
  priority: 0,
  attempt: 1,
  maxAttempts: 1,
  timeoutMs: null,
  idempotencyKey: null,
  enqueuedAt: 0,
  availableAt: 0,
  claim: null,
  history: [],
  result: null,
  finishedAt: 1,
  lastError: null,
  revision: 2,
  leaderEpoch: 0,
};
const encode = (record: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(record));

describe('job records', () => {
  it('purgingAt is optional, and a number when present', () => {
    expect(parseJobRecord('key', encode(DEAD))).toEqual(DEAD);
    expect(parseJobRecord('key', new TextEncoder().encode(encodeJobRecord({ ...DEAD, purgingAt: 5 })))).toMatchObject({ purgingAt: 5 });
    expect(() => parseJobRecord('key', encode({ ...DEAD, purgingAt: 'soon' }))).toThrow(CorruptRecordError);
  });
});
