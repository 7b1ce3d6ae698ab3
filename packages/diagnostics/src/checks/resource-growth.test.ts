import { MemoryStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { processResourceSampler, type ResourceSampler } from '../resource-sampler';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose } from '../test-support/hubs';

afterEach(disconnectAll);

describe('resource-growth (guide section 7)', () => {
  it('sees listeners added and never removed during the window', async () => {
    const hub = await hubOn(new MemoryStore());
    const coordinator = await hub.getGlobalCoordinator();
    coordinator.setMaxListeners(1000);
    const leak = setInterval(() => coordinator.on('heartbeat', () => undefined), 10);
    try {
      const report = await quickDiagnose(hub, { windowMs: 400, samples: 4 });
      const finding = findingOf(report, 'resource-growth.listeners-growing');
      expect((finding.evidence.listeners as number[]).at(-1)).toBeGreaterThan((finding.evidence.listeners as number[])[0] ?? 0);
      expect(problems(report)).toContain('resource-growth.too-many-listeners');
    } finally {
      clearInterval(leak);
    }
  });

  it('sees heap and timers growing at every sample (scripted sampler)', async () => {
    const hub = await hubOn(new MemoryStore());
    await hub.getGlobalCoordinator();
    let sample = 0;
    const growing: ResourceSampler = (coordinator) => {
      sample += 1;
      return { ...processResourceSampler(coordinator), heapUsedBytes: sample * 40 * 1024 * 1024, activeTimers: sample * 20 };
    };
    const report = await quickDiagnose(hub, { samples: 4, resourceSampler: growing });
    expect(problems(report)).toEqual(expect.arrayContaining(['resource-growth.heap-growing', 'resource-growth.timers-growing']));
  });

  it('finds a stopped coordinator that still holds listeners and plugins (no clean shutdown)', async () => {
    const hub = await hubOn(new MemoryStore());
    const coordinator = await hub.getGlobalCoordinator();
    coordinator.subscribePlugin({ name: 'queue', onGlobalLeaderChange: () => undefined });
    coordinator.on('leader:changed', () => undefined);
    await coordinator.stop();
    const report = await quickDiagnose(hub);
    expect(findingOf(report, 'resource-growth.stopped-not-cleaned').evidence).toMatchObject({ listeners: 1, subscribedPlugins: 1 });
  });
});
