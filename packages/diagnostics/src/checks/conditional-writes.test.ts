import { StorageUnavailableError } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);

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
});
