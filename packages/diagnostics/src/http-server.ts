import { createServer, type Server } from 'node:http';
import type { Hub } from '@baton/coordinator-core';
import type { Registry } from 'prom-client';
import { redactSecrets } from './redact';
import { readStatus } from './status';

/** Options for {@link startDiagnosticsServer}. */
export interface DiagnosticsServerOptions {
  /** The hub whose coordinator and store are served. */
  hub: Hub;
  /** The namespace whose coordinator `/healthz` judges. Default `default`. */
  namespace?: string;
  /** Served at `/metrics` (register the coordinator with `registerCoordinatorMetrics` first). */
  registry: Registry;
  /** Default 0 (any free port). */
  port?: number;
  /** Default `127.0.0.1`: expose it deliberately. */
  host?: string;
  /** Strings to mask in `/status` (secret keys, tokens). */
  secrets?: readonly string[];
}

/** A running diagnostics server. */
export interface DiagnosticsServer {
  /** `http://host:port`. */
  url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * A tiny HTTP server for orchestrators:
 *
 * - `GET /healthz`: 200 while the namespace's coordinator runs and its heartbeat is recent
 *   (within 3 heartbeat intervals), 503 otherwise, with a JSON reason;
 * - `GET /metrics`: the registry in Prometheus text format;
 * - `GET /status`: the namespace's lease and workers as the store shows them, plus this worker's
 *   view (JSON, secrets masked).
 */
export async function startDiagnosticsServer(options: DiagnosticsServerOptions): Promise<DiagnosticsServer> {
  const namespace = options.namespace ?? 'default';
  const { hub, registry } = options;
  const coordinatorOf = async () => (await hub.startedCoordinators()).find((entry) => entry.scope === 'global' && entry.name === namespace)?.coordinator;
  const server: Server = createServer((request, response) => {
    const send = (status: number, body: string, contentType = 'application/json; charset=utf-8'): void => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(body);
    };
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(405, JSON.stringify({ error: 'method not allowed' }));
      return;
    }
    void (async () => {
      try {
        if (path === '/healthz') {
          const coordinator = await coordinatorOf();
          const metrics = coordinator?.getMetrics();
          const sinceHeartbeat = metrics === undefined ? null : Date.now() - metrics.lastHeartbeatTime;
          const healthy = metrics?.isRunning === true && sinceHeartbeat !== null && sinceHeartbeat <= 3 * hub.config.heartbeatInterval;
          send(healthy ? 200 : 503, JSON.stringify({ status: healthy ? 'ok' : 'unhealthy', namespace, running: metrics?.isRunning ?? false, isLeader: metrics?.isLeader ?? false, msSinceHeartbeat: sinceHeartbeat }));
        } else if (path === '/metrics') {
          send(200, await registry.metrics(), registry.contentType);
        } else if (path === '/status') {
          const coordinator = await coordinatorOf();
          const status = await readStatus(hub, { namespace });
          const self = coordinator === undefined ? null : { workerId: coordinator.workerId, running: coordinator.isRunning, isLeader: coordinator.isLeader, epoch: coordinator.getEpoch() };
          send(200, JSON.stringify(redactSecrets({ ...status, self }, options.secrets ?? []), null, 2));
        } else {
          send(404, JSON.stringify({ error: 'not found', paths: ['/healthz', '/metrics', '/status'] }));
        }
      } catch (error) {
        send(500, JSON.stringify(redactSecrets({ error: error instanceof Error ? error.message : String(error) }, options.secrets ?? [])));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as { address: string; port: number };
  return {
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
