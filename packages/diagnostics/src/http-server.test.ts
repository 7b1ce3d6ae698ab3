import { MemoryStore } from '@baton/storage';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startDiagnosticsServer, type DiagnosticsServer } from './http-server';
import { registerCoordinatorMetrics } from './prometheus-metrics';
import { disconnectAll, hubOn } from './test-support/hubs';

const servers: DiagnosticsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await disconnectAll();
});

describe('startDiagnosticsServer', () => {
  it('serves /healthz, /metrics and /status on loopback, and turns unhealthy when the coordinator stops', async () => {
    const hub = await hubOn(new MemoryStore());
    const coordinator = await hub.getGlobalCoordinator();
    const registry = new Registry();
    registerCoordinatorMetrics(coordinator, { registry });
    const server = await startDiagnosticsServer({ hub, registry });
    servers.push(server);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', running: true, isLeader: true });

    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('baton_coordinator_is_leader{namespace="default"} 1');

    const status = (await (await fetch(`${server.url}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ format: 'baton.status/v1', lease: 'held', leader: coordinator.workerId, self: { workerId: coordinator.workerId, isLeader: true } });

    expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
    await coordinator.stop();
    const stopped = await fetch(`${server.url}/healthz`);
    expect(stopped.status).toBe(503);
  });
});
