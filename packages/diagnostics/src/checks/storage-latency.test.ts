import type { Clock } from '@baton/plugin';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);

const TIMINGS = { heartbeatInterval: 100, leaseTimeout: 600, workerTimeout: 900 }; // renewal slack: 400 - 100 = 300 ms

/**
 * A store whose every request takes exactly `delayMs` on the returned clock, which the diagnosis
 * times its requests with: no real waiting, so a loaded machine cannot stretch 180 ms past 300.
 */
function slowStore(delayMs: number): { store: ScriptedStore; environment: { clock: Clock } } {
  let elapsed = 0;
  const clock: Clock = { monotonicNow: () => elapsed, wallNow: () => Date.now() + elapsed };
  const store = new ScriptedStore({
    before: () => {
      elapsed += delayMs;
    },
  });
  return { store, environment: { clock } };
}

describe('storage-latency', () => {
  it('warns when requests take half the time a renewal has', async () => {
    const { store, environment } = slowStore(180);
    const report = await quickDiagnose(await hubOn(store, TIMINGS), { probe: false, samples: 2, windowMs: 0, environment });
    const finding = findingOf(report, 'storage-latency.slow');
    expect(finding.severity).toBe('warning');
    expect(finding.evidence).toMatchObject({ renewalSlackMs: 300 });
  });

  it('fails when requests take longer than a renewal has', async () => {
    const { store, environment } = slowStore(320);
    const report = await quickDiagnose(await hubOn(store, TIMINGS), { probe: false, samples: 2, windowMs: 0, environment });
    expect(findingOf(report, 'storage-latency.too-slow').fix).toMatch(/Increase leaseTimeout to at least \d+/);
  });
});
