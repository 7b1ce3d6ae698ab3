import { MemoryStore, probeOutcome, StorageUnavailableError } from '@baton/storage';
import { createTestBucket, s3TestTarget, type TestBucket } from '@tooling/s3-test-server/target';
import { s3ConnectionString } from '@tooling/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVerification } from './cli/format';
import { openHub } from './open-hub';
import { ScriptedStore } from './test-support/scripted-store';
import { verifyStorage } from './verify-storage';

describe('verifyStorage', () => {
  it('trusts a store that passes the probe and the conformance kit, and leaves nothing behind', async () => {
    const store = new MemoryStore();
    const verification = await verifyStorage(store, { racers: 4, rounds: 2 });
    expect(verification.conformance.length).toBeGreaterThan(10);
    expect(verification.conformance.filter((result) => result.outcome === 'fail')).toEqual([]);
    expect(verification.trusted).toBe(true);
    expect(verification.leftBehind).toBe(0);
    expect((await store.list({ prefix: '' })).entries).toEqual([]);
  });

  it('does not trust a store that ignores conditional writes, and says which cases fail', async () => {
    const verification = await verifyStorage(new ScriptedStore({ ignoreConditions: true }), { racers: 4, rounds: 2 });
    expect(verification.trusted).toBe(false);
    expect(verification.probe.safe).toBe(false);
    expect(verification.conformance.filter((result) => result.outcome === 'fail').map((result) => result.name)).toContain(
      'ifNoneMatch * creates when absent and is refused when present',
    );
  });

  it('says inconclusive, not "two leaders are possible", when transient errors keep the probe from finishing', async () => {
    const store = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'put' && key.endsWith('/fresh')) throw new StorageUnavailableError('503 SlowDown', { operation, key });
      },
    });
    const verification = await verifyStorage(store, { quick: true });
    expect(verification.trusted).toBe(false);
    expect(probeOutcome(verification.probe)).toBe('inconclusive');
    const printed = formatVerification(verification);
    expect(printed).toMatch(/^ {2}! Create-if-absent succeeds when the object is absent: the store kept failing with UNAVAILABLE/m);
    expect(printed).toContain('INCONCLUSIVE: the store kept failing with transient errors');
    expect(printed).not.toContain('NOT TRUSTED');
  });
});

const target = s3TestTarget();

describe.skipIf(target === undefined)('verifyStorage on a real S3 (Ceph RGW)', () => {
  let bucket: TestBucket;
  beforeAll(async () => {
    bucket = await createTestBucket(target as NonNullable<typeof target>, { namePrefix: 'diagnostics-verify' });
  });
  afterAll(() => bucket.remove());

  it('trusts Ceph RGW (conditional deletes are reported as not claimed)', async () => {
    const opened = await openHub(s3ConnectionString(target as NonNullable<typeof target>, bucket.name, 'team/'));
    try {
      const verification = await verifyStorage(opened.hub.client.store, { racers: 6, rounds: 2 });
      expect(verification.conformance.filter((result) => result.outcome === 'fail')).toEqual([]);
      expect(verification.trusted).toBe(true);
      expect(verification.probe.observed.conditionalDelete).toBeUndefined();
      expect(verification.leftBehind).toBe(0);
    } finally {
      await opened.close();
    }
  });
});
