import type { GlobalCoordinator, StorageRequest } from '@baton/coordinator-core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StatusSnapshot } from './status';

/** Options for {@link registerCoordinatorMetrics}. */
export interface CoordinatorMetricsOptions {
  /** The registry to register in (inject yours; prom-client's global one is never used implicitly). */
  registry: Registry;
  /** Histogram buckets for storage request latency, in seconds. */
  latencyBuckets?: number[];
}

/** Stops exporting a coordinator's metrics. */
export interface MetricsRegistration {
  /** Stops observing the coordinator and drops its series from later scrapes. */
  unregister(): void;
}

interface Tracked {
  coordinator: GlobalCoordinator;
  last: { heartbeatCount: number; electionCount: number; leaderChanges: number; cycleFailures: number };
  stopObserving: () => void;
}

interface CoordinatorCollectors {
  tracked: Set<Tracked>;
  requests: Counter<'namespace' | 'operation' | 'outcome'>;
  latency: Histogram<'namespace' | 'operation'>;
}

const collectorsByRegistry = new WeakMap<Registry, CoordinatorCollectors>();
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Exports a coordinator's state in Prometheus format on `registry` (one series per namespace):
 *
 * | Metric | Type | Meaning |
 * | --- | --- | --- |
 * | `baton_coordinator_running` | gauge | 1 while started |
 * | `baton_coordinator_is_leader` | gauge | 1 while this worker leads |
 * | `baton_coordinator_epoch` | gauge | the term held or last seen |
 * | `baton_coordinator_lease_remaining_seconds` | gauge | while leading: time to the renew deadline |
 * | `baton_coordinator_last_heartbeat_timestamp_seconds` | gauge | wall clock of the last cycle |
 * | `baton_coordinator_heartbeats_total` | counter | heartbeat cycles |
 * | `baton_coordinator_elections_total` | counter | elections taken part in |
 * | `baton_coordinator_leader_changes_total` | counter | changes of leader seen |
 * | `baton_coordinator_cycle_failures_total` | counter | cycles that could not reach the store |
 * | `baton_storage_requests_total{operation,outcome}` | counter | storage requests by outcome (`ok`, `precondition_failed`, ...) |
 * | `baton_storage_request_duration_seconds{operation}` | histogram | storage latency |
 */
export function registerCoordinatorMetrics(coordinator: GlobalCoordinator, options: CoordinatorMetricsOptions): MetricsRegistration {
  const collectors = collectorsFor(options.registry, options.latencyBuckets ?? DEFAULT_BUCKETS);
  const namespace = coordinator.namespace;
  const tracked: Tracked = {
    coordinator,
    // From zero: the first scrape exports the totals so far.
    last: { heartbeatCount: 0, electionCount: 0, leaderChanges: 0, cycleFailures: 0 },
    stopObserving: coordinator.observeStorageRequests((request: StorageRequest) => {
      collectors.requests.inc({ namespace, operation: request.operation, outcome: request.outcome });
      collectors.latency.observe({ namespace, operation: request.operation }, request.durationMs / 1000);
    }),
  };
  collectors.tracked.add(tracked);
  return {
    unregister: () => {
      tracked.stopObserving();
      collectors.tracked.delete(tracked);
    },
  };
}

function collectorsFor(registry: Registry, buckets: number[]): CoordinatorCollectors {
  const existing = collectorsByRegistry.get(registry);
  if (existing !== undefined) return existing;
  const tracked = new Set<Tracked>();
  const gauge = (name: string, help: string, read: (coordinator: GlobalCoordinator) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['namespace'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { coordinator } of tracked) this.set({ namespace: coordinator.namespace }, read(coordinator));
      },
    });
  };
  gauge('baton_coordinator_running', '1 while the coordinator is started', (coordinator) => (coordinator.isRunning ? 1 : 0));
  gauge('baton_coordinator_is_leader', '1 while this worker holds the lease', (coordinator) => (coordinator.isLeader ? 1 : 0));
  gauge('baton_coordinator_epoch', 'The epoch of the term held or last seen', (coordinator) => coordinator.getEpoch());
  gauge('baton_coordinator_lease_remaining_seconds', 'While leading: seconds until the renew deadline (0 otherwise)', (coordinator) => (coordinator.getMetrics().renewDeadlineRemainingMs ?? 0) / 1000);
  gauge('baton_coordinator_last_heartbeat_timestamp_seconds', 'Wall-clock time of the last heartbeat cycle', (coordinator) => coordinator.getMetrics().lastHeartbeatTime / 1000);

  const counter = (field: keyof Tracked['last'], name: string, help: string): void => {
    new Counter({
      name,
      help,
      labelNames: ['namespace'],
      registers: [registry],
      collect() {
        for (const entry of tracked) {
          const current = entry.coordinator.getMetrics()[field];
          const delta = current - entry.last[field];
          entry.last[field] = current;
          if (delta > 0) this.inc({ namespace: entry.coordinator.namespace }, delta);
        }
      },
    });
  };
  counter('heartbeatCount', 'baton_coordinator_heartbeats_total', 'Heartbeat cycles run');
  counter('electionCount', 'baton_coordinator_elections_total', 'Elections this worker took part in');
  counter('leaderChanges', 'baton_coordinator_leader_changes_total', 'Changes of leader seen');
  counter('cycleFailures', 'baton_coordinator_cycle_failures_total', 'Heartbeat cycles that could not reach the store');

  const collectors: CoordinatorCollectors = {
    tracked,
    requests: new Counter({ name: 'baton_storage_requests_total', help: 'Storage requests by operation and outcome', labelNames: ['namespace', 'operation', 'outcome'], registers: [registry] }),
    latency: new Histogram({ name: 'baton_storage_request_duration_seconds', help: 'Storage request latency', labelNames: ['namespace', 'operation'], buckets, registers: [registry] }),
  };
  collectorsByRegistry.set(registry, collectors);
  return collectors;
}

/**
 * Exports a namespace as the store shows it (what `baton metrics` prints from outside the
 * workers): `baton_lease_held`, `baton_lease_epoch`, `baton_lease_remaining_seconds` (estimated
 * on the store's clock) and `baton_workers{status}`.
 */
export function registerStatusMetrics(snapshot: StatusSnapshot, registry: Registry): void {
  const labels = { namespace: snapshot.namespace };
  new Gauge({ name: 'baton_lease_held', help: '1 while a worker holds the lease', labelNames: ['namespace'], registers: [registry] }).set(labels, snapshot.lease === 'held' ? 1 : 0);
  new Gauge({ name: 'baton_lease_epoch', help: 'The epoch in the lease record', labelNames: ['namespace'], registers: [registry] }).set(labels, snapshot.epoch ?? 0);
  new Gauge({ name: 'baton_lease_remaining_seconds', help: 'leaseTimeout minus the age of the lease record (estimate)', labelNames: ['namespace'], registers: [registry] }).set(
    labels,
    (snapshot.leaseRemainingMs ?? 0) / 1000,
  );
  const workers = new Gauge({ name: 'baton_workers', help: 'Registered workers by status', labelNames: ['namespace', 'status'], registers: [registry] });
  for (const status of ['alive', 'expired', 'unreadable'] as const) {
    workers.set({ ...labels, status }, snapshot.workers.filter((worker) => worker.status === status).length);
  }
}
