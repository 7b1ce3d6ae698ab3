import type { Evidence } from '../evidence';

/** Latency percentiles of the storage requests seen (diagnostics' own, and the coordinator's in process). */
export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** Summarizes the request latencies in the evidence. */
export function latencySummary(evidence: Evidence): LatencySummary {
  const sorted = [...evidence.latenciesMs].sort((left, right) => left - right);
  const coordinator = evidence.samples.at(-1)?.metrics?.storage.latencyMs;
  const at = (fraction: number): number => (sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0));
  return {
    samples: sorted.length + (coordinator?.samples ?? 0),
    p50Ms: Math.round(Math.max(at(0.5), coordinator?.p50 ?? 0)),
    p95Ms: Math.round(Math.max(at(0.95), coordinator?.p95 ?? 0)),
    maxMs: Math.round(Math.max(sorted.at(-1) ?? 0, coordinator?.max ?? 0)),
  };
}

/**
 * How long a renewal may take and still land before the leader's deadline: it starts a
 * heartbeat after the previous one and must finish by `renewDeadline` after that one.
 */
export function renewalSlackMs(evidence: Evidence): number {
  return evidence.config.renewDeadline - evidence.config.heartbeatInterval;
}
