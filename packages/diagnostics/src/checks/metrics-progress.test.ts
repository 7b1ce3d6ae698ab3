import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose } from '../test-support/hubs';

afterEach(disconnectAll);

describe('metrics-progress (guide section 9)', () => {
  it('finds a heartbeat loop that stopped while the coordinator claims to run', async () => {
    const hub = await hubOn(new MemoryStore());
    const coordinator = await hub.getGlobalCoordinator();
    await coordinator._heartbeatCycle();
    // Kill the loop: nothing schedules the next cycle any more.
    for (const timer of [coordinator.heartbeatTimer, coordinator.electionTimer]) if (timer !== null) clearTimeout(timer as NodeJS.Timeout);
    coordinator.heartbeatTimer = null;
    coordinator.electionTimer = null;
    const report = await quickDiagnose(hub);
    expect(findingOf(report, 'metrics-progress.heartbeat-stalled').evidence).toMatchObject({ heartbeatsInWindow: 0 });
    expect(problems(report)).toContain('metrics-progress.no-timers');
  });

  it('reports counters that cannot move because the coordinator was never started or was stopped', async () => {
    const hub = await hubOn(new MemoryStore());
    await (await hub.getGlobalCoordinator()).stop();
    expect(problems(await quickDiagnose(hub))).toContain('metrics-progress.not-started');
  });
});
