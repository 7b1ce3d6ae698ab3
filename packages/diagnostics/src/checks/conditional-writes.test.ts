import { AccessDeniedError, MemoryStore, StorageUnavailableError } from '@baton/storage';
import type * as Storage from '@baton/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose, skippedReason } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

// probeStorage throws only on a bug of its own (what it finds goes into its report): a test
// makes it throw to see that the check reports it instead of failing the whole diagnosis.
const probeFault = vi.hoisted(() => ({ error: undefined as Error | undefined }));
vi.mock('@baton/storage', async (importOriginal) => {
  const original = await importOriginal<typeof Storage>();
  return {
    ...original,
    probeStorage: (...parameters: Parameters<typeof original.probeStorage>) => (probeFault.error === undefined ? original.probeStorage(...parameters) : Promise.reject(probeFault.error)),
  };
});

afterEach(async () => {
  probeFault.error = undefined;
  await disconnectAll();
});

describe('conditional-writes', () => {
  it('finds a store that accepts If-Match / If-None-Match and ignores them', async () => {
    const report = await quickDiagnose(await hubOn(new ScriptedStore({ ignoreConditions: true })));
    const finding = findingOf(report, 'conditional-writes.not-enforced');
    expect(finding.severity).toBe('error');
    expect((finding.evidence.failed as { id: string }[]).map((check) => check.id)).toContain('conditional-create-enforced');
  });

  it('reports a probe that transient errors kept from finishing as a warning, never as an unsafe store', async () => {
    // Every create of the probe's fresh object is throttled: that check cannot finish, however often it is retried.
    const store = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'put' && key.includes('.diagnostics-probe/') && key.endsWith('/fresh')) throw new StorageUnavailableError('503 SlowDown', { operation, key });
      },
    });
    const report = await quickDiagnose(await hubOn(store));
    expect(report.findings.map((entry) => entry.id)).not.toContain('conditional-writes.not-enforced');
    const finding = findingOf(report, 'conditional-writes.inconclusive');
    expect(finding.severity).toBe('warning');
    expect(finding.summary).toMatch(/conditional-create-applies: the store kept failing with UNAVAILABLE/);
    expect(finding.fix).toMatch(/Check connectivity to the store/);
  });

  it('warns when the lease checks pass but another check fails (listings refused under the probe prefix)', async () => {
    const store = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'list' && key.includes('.diagnostics-probe/')) throw new AccessDeniedError('Access Denied', { operation, key });
      },
    });
    const report = await quickDiagnose(await hubOn(store));
    const finding = findingOf(report, 'conditional-writes.partial');
    expect(finding.severity).toBe('warning');
    expect((finding.evidence.failed as { id: string }[]).map((check) => check.id)).toEqual(['list-after-write']);
    expect(report.findings.map((entry) => entry.id)).not.toContain('conditional-writes.not-enforced');
  });

  it('reports a probe that threw as a warning, and the diagnosis still finishes', async () => {
    const hub = await hubOn(new MemoryStore());
    probeFault.error = new Error('probe bug');
    const report = await quickDiagnose(hub);
    const finding = findingOf(report, 'conditional-writes.probe-failed');
    expect(finding.severity).toBe('warning');
    expect(finding.summary).toContain('probe bug');
    expect(report.checks.find((check) => check.id === 'write-read-consistency')?.status).toBe('pass');
  });

  it('skips when the probe is turned off or the store cannot be written', async () => {
    expect(skippedReason(await quickDiagnose(await hubOn(new MemoryStore()), { probe: false }), 'conditional-writes')).toMatch(/probe was turned off/);
    const readOnly = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'put') throw new AccessDeniedError('Access Denied', { operation, key });
      },
    });
    const report = await quickDiagnose(await hubOn(readOnly));
    expect(skippedReason(report, 'conditional-writes')).toMatch(/could not be written/);
    expect(report.findings.map((entry) => entry.id)).not.toContain('conditional-writes.not-enforced');
  });
});
