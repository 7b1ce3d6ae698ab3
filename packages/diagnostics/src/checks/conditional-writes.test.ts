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
});
