import { AccessDeniedError } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose, skippedReason } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);

describe('write-read-consistency (the guide\'s "Consistency OK" test)', () => {
  it('finds reads that return an older version right after a write', async () => {
    const report = await quickDiagnose(await hubOn(new ScriptedStore({ staleReadsMs: 5000 })), { probe: false });
    const finding = findingOf(report, 'write-read-consistency.stale-reads');
    expect(finding.evidence).toMatchObject({ readBack: 'missing', readAfterOverwrite: 'mismatch', readAfterDelete: 'present' });
    expect(finding.summary).toContain('Consistency OK: false');
  });

  it('skips when the scratch object cannot be written, instead of calling the store inconsistent', async () => {
    const store = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'put' && key.includes('/.diagnostics-')) throw new AccessDeniedError('Access Denied', { operation, key });
      },
    });
    const report = await quickDiagnose(await hubOn(store), { probe: false });
    expect(skippedReason(report, 'write-read-consistency')).toMatch(/could not be written or read/);
    expect(report.findings.map((entry) => entry.id)).toContain('service-start.permission-denied');
  });
});
