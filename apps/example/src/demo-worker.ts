// One worker process of the demo: what a real service built on baton looks like. It connects to
// the shared store, joins the election of the namespace, and processes the shared queue; if it is
// the leader, the QueuePlugin also runs the queue's leader duties on it.
//
// Usage (started by the narrator, src/demo.ts): node --import tsx demo-worker.ts <url> <events-file> <config-json>
// SIGTERM, or the narrator going away: graceful `hub.disconnect()` (the lease is released at
// once, so a follower takes over at its next heartbeat), then exit 0.
import { closeSync, openSync, writeSync } from 'node:fs';
import { connect, type Hub } from '@baton/coordinator-core';
import { QueuePlugin } from '@baton/queue';
import { TTLPlugin } from '@baton/ttl';
import { sleep } from '@baton/storage';
import type { DemoJob, DemoWorkerConfig, DemoWorkerEventFields } from './demo-worker-protocol';

const [url, eventsFile, configText] = process.argv.slice(2);
if (url === undefined || eventsFile === undefined || configText === undefined) {
  throw new Error('usage: demo-worker <connection-string> <events-file> <config-json>');
}
const config = JSON.parse(configText) as DemoWorkerConfig;
// A worker never outlives a forgotten demo by much.
const MAX_LIFETIME_MS = 5 * 60_000;

const events = openSync(eventsFile, 'a');
let workerId = 'unknown';

function record(fields: DemoWorkerEventFields): void {
  const event = { ...fields, workerId, pid: process.pid, t: process.hrtime.bigint().toString() };
  // Synchronous, so that the record survives SIGKILL.
  writeSync(events, `${JSON.stringify(event)}\n`);
  if (process.connected) process.send?.(event);
}

let hub: Hub | undefined;
let shuttingDown = false;

async function shutdown(exitCode = 0): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  record({ type: 'stopping' });
  try {
    await hub?.disconnect();
  } finally {
    record({ type: 'stopped' });
    closeSync(events);
    if (process.connected) process.disconnect();
    process.exit(exitCode);
  }
}

process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
process.on('disconnect', () => void shutdown());
setTimeout(() => void shutdown(), MAX_LIFETIME_MS).unref();

try {
  hub = await connect(url, { globalCoordinator: config.timings });
  const coordinator = await hub.getGlobalCoordinator(config.namespace);
  workerId = coordinator.workerId;
  coordinator.on('leadership:acquired', ({ epoch }) => record({ type: 'acquired', epoch }));
  coordinator.on('leadership:lost', ({ epoch, reason }) => record({ type: 'lost', epoch, reason }));
  coordinator.on('leader:changed', ({ newLeader, epoch }) => record({ type: 'leader', leader: newLeader, epoch }));

  const queue = new QueuePlugin({
    name: config.queueName,
    namespace: config.namespace,
    workerId,
    visibilityTimeoutMs: config.visibilityTimeoutMs,
    pollIntervalMs: config.pollIntervalMs,
  });
  await hub.usePlugin(queue);
  queue.on('job:completed', ({ id, attempt }) => record({ type: 'completed', id, attempt }));

  // Every worker installs the TTL collection; only the leader sweeps it.
  const sessions = new TTLPlugin({ collection: config.ttlCollection, namespace: config.namespace, sweepIntervalMs: config.ttlSweepIntervalMs });
  await hub.usePlugin(sessions);
  sessions.onSweep(({ epoch, expired, staleMarkers, requests, durationMs }) => {
    if (expired === 0 && staleMarkers === 0) return;
    const { expiryLagMs } = sessions.getMetrics();
    record({ type: 'swept', epoch, expired, staleMarkers, requests, durationMs, lagP50Ms: expiryLagMs.p50 ?? null, lagP99Ms: expiryLagMs.p99 ?? null });
  });

  // The coordinator ran its first heartbeat before the listeners above existed: report what it is.
  record({ type: 'ready', epoch: coordinator.getEpoch() });
  if (coordinator.isLeader) record({ type: 'acquired', epoch: coordinator.getEpoch() });
  record({ type: 'leader', leader: await coordinator.getLeader(), epoch: coordinator.getEpoch() });

  queue.process<DemoJob>(
    async ({ id, data, attempt, signal }) => {
      record({ type: 'started', id, attempt });
      await sleep(data.durationMs, signal);
      return { by: workerId };
    },
    { concurrency: config.concurrency },
  );
} catch (error) {
  record({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  await shutdown(1);
}
