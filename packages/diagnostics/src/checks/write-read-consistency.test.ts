import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);

describe('write-read-consistency (the guide\'s "Consistency OK" test)', () => {
  it('finds reads that return an older version right after a write', async () => {
    const report = await quickDiagnose(await hubOn(new ScriptedStore({ staleReadsMs: 5000 })), { probe: false });
    const finding = findingOf(report, 'write-read-consistency.stale-reads');
    expect(finding.evidence).toMatchObject({ readBack: 'missing', readAfterOverwrite: 'mismatch', readAfterDelete: 'present' });
    expect(finding.summary).toContain('Consistency OK: false');
  });
});
