import { AccessDeniedError } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);

describe('coordination-fallback (guide section 6)', () => {
  it('finds a plugin that fell back to per-plugin mode, with the reason', async () => {
    const store = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'put' && key.startsWith('plg_coordinator_global/')) throw new AccessDeniedError('Access Denied', { operation, key });
      },
    });
    const hub = await hubOn(store);
    await hub.usePlugin({ name: 'queue', onGlobalLeaderChange: () => undefined });
    expect(hub.coordination.get('queue')?.mode).toBe('per-plugin');
    const report = await quickDiagnose(hub);
    const finding = findingOf(report, 'coordination-fallback.fell-back');
    expect(finding.severity).toBe('warning');
    expect(finding.evidence).toMatchObject({ plugin: 'queue', electionKey: 'plg_queue/coordinator/state.json' });
    expect(finding.fix).toContain('s3:PutObject');
    expect(report.scope).toBe('in-process');
  });

  it('notes a plugin that chose per-plugin mode, for information', async () => {
    const hub = await hubOn(new ScriptedStore());
    await hub.getGlobalCoordinator();
    await hub.usePlugin({ name: 'ttl', coordinationMode: 'per-plugin' });
    const report = await quickDiagnose(hub);
    expect(findingOf(report, 'coordination-fallback.per-plugin-by-choice').severity).toBe('info');
  });
});
