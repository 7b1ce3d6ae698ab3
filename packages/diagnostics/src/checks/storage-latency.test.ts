import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);

const TIMINGS = { heartbeatInterval: 100, leaseTimeout: 600, workerTimeout: 900 }; // renewal slack: 400 - 100 = 300 ms

function slowStore(delayMs: number): ScriptedStore {
  return new ScriptedStore({ before: () => new Promise((resolve) => setTimeout(resolve, delayMs)) });
}

describe('storage-latency', () => {
  it('warns when requests take half the time a renewal has', async () => {
    const report = await quickDiagnose(await hubOn(slowStore(180), TIMINGS), { probe: false, samples: 2, windowMs: 0 });
    const finding = findingOf(report, 'storage-latency.slow');
    expect(finding.severity).toBe('warning');
    expect(finding.evidence).toMatchObject({ renewalSlackMs: 300 });
  });

  it('fails when requests take longer than a renewal has', async () => {
    const report = await quickDiagnose(await hubOn(slowStore(320), TIMINGS), { probe: false, samples: 2, windowMs: 0 });
    expect(findingOf(report, 'storage-latency.too-slow').fix).toMatch(/Increase leaseTimeout to at least \d+/);
  });
});
