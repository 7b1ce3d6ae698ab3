import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose, RELAXED, skippedReason } from '../test-support/hubs';

afterEach(disconnectAll);

describe('rapid-leader-changes (guide section 3)', () => {
  it('counts leader changes over the window and warns from the threshold on', async () => {
    const store = new MemoryStore();
    const workers = [];
    for (let index = 0; index < 4; index += 1) workers.push(await hubOn(store));
    await Promise.all(workers.map((hub) => hub.getGlobalCoordinator()));
    const observer = await hubOn(store);
    // Three leaders in a row step down while the observer watches: three changes of leader.
    const churn = (async () => {
      for (let round = 0; round < 3; round += 1) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        for (const hub of workers) {
          const [started] = await hub.startedCoordinators();
          if (started?.coordinator.isLeader === true) {
            await hub.disconnect();
            break;
          }
        }
      }
    })();
    const report = await quickDiagnose(observer, { windowMs: 1500, samples: 7 });
    await churn;
    const finding = findingOf(report, 'rapid-leader-changes.rapid');
    expect(finding.severity).toBe('warning');
    expect(finding.evidence.changes).toBeGreaterThanOrEqual(3);
  });

  it('reports a single change for information only', async () => {
    const store = new MemoryStore();
    const first = await hubOn(store);
    await first.getGlobalCoordinator();
    await (await hubOn(store)).getGlobalCoordinator();
    setTimeout(() => void first.disconnect(), 100);
    const report = await quickDiagnose(await hubOn(store, RELAXED), { windowMs: 600, samples: 4 });
    expect(findingOf(report, 'rapid-leader-changes.changed').severity).toBe('info');
    expect(report.exitCode).toBe(0);
  });

  it('skips a single sample: changes need a window', async () => {
    const hub = await hubOn(new MemoryStore());
    await hub.getGlobalCoordinator();
    expect(skippedReason(await quickDiagnose(hub, { samples: 1 }), 'rapid-leader-changes')).toMatch(/at least two samples/);
    expect((await quickDiagnose(hub, { samples: 2 })).checks.find((check) => check.id === 'rapid-leader-changes')?.status).toBe('pass');
  });
});
