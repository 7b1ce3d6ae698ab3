import { MemoryStore } from '@baton/storage';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { registerCoordinatorMetrics } from './prometheus-metrics';
import { disconnectAll, hubOn } from './test-support/hubs';

afterEach(disconnectAll);

function valueOf(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no series ${series} in\n${text}`);
  return Number(line.slice(series.length + 1));
}

describe('registerCoordinatorMetrics', () => {
  it('exports leadership, epoch, counters, and storage requests by outcome with latency, on an injected registry', async () => {
    const store = new MemoryStore();
    const hub = await hubOn(store);
    const leader = await hub.getGlobalCoordinator();
    const registry = new Registry();
    const registration = registerCoordinatorMetrics(leader, { registry });
    await leader._heartbeatCycle();
    await new Promise((resolve) => setTimeout(resolve, 150));

    const first = await registry.metrics();
    expect(valueOf(first, 'baton_coordinator_is_leader{namespace="default"}')).toBe(1);
    expect(valueOf(first, 'baton_coordinator_running{namespace="default"}')).toBe(1);
    expect(valueOf(first, 'baton_coordinator_epoch{namespace="default"}')).toBe(1);
    expect(valueOf(first, 'baton_coordinator_lease_remaining_seconds{namespace="default"}')).toBeGreaterThan(0);
    const beats = valueOf(first, 'baton_coordinator_heartbeats_total{namespace="default"}');
    expect(beats).toBeGreaterThanOrEqual(2);
    expect(valueOf(first, 'baton_coordinator_elections_total{namespace="default"}')).toBe(1);
    expect(valueOf(first, 'baton_storage_requests_total{namespace="default",operation="put",outcome="ok"}')).toBeGreaterThan(0);
    expect(first).toContain('baton_storage_request_duration_seconds_bucket{le="0.005",namespace="default",operation="put"}');

    // A follower loses a takeover race now and then: refused writes are counted by outcome.
    const follower = await (await hubOn(store)).getGlobalCoordinator();
    registerCoordinatorMetrics(follower, { registry });
    await store.put(leader._getStateKey(), 'garbage'); // provokes a refused renewal
    await leader._heartbeatCycle();
    const second = await registry.metrics();
    expect(valueOf(second, 'baton_storage_requests_total{namespace="default",operation="put",outcome="precondition_failed"}')).toBeGreaterThanOrEqual(1);
    expect(valueOf(second, 'baton_coordinator_heartbeats_total{namespace="default"}')).toBeGreaterThan(beats);

    registration.unregister();
    expect(() => registerCoordinatorMetrics(leader, { registry })).not.toThrow();
  });
});
