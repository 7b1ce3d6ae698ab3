import { expect, it } from 'vitest';
import { simulateCluster, type ClusterScenarioResult } from './simulate-cluster';

/** The seeds a sweep covers: `SIMULATION_SEEDS` (default 10,000) split into `shards` equal parts. */
export function seedShard(shard: number, shards: number): { first: number; last: number } {
  const total = Number(process.env.SIMULATION_SEEDS ?? 10_000);
  const size = Math.ceil(total / shards);
  return { first: shard * size + 1, last: Math.min(total, (shard + 1) * size) };
}

/** Totals over a sweep. */
export interface SweepSummary {
  seeds: number;
  events: number;
  terms: number;
  actions: number;
  failovers: number[];
  healthySeeds: number;
}

/**
 * Runs every seed in `[first, last]` and throws at the first violation, with the seed and the
 * command that replays it (with a trace).
 */
export async function sweepSeeds(first: number, last: number): Promise<SweepSummary> {
  const summary: SweepSummary = { seeds: 0, events: 0, terms: 0, actions: 0, failovers: [], healthySeeds: 0 };
  for (let seed = first; seed <= last; seed += 1) {
    const result: ClusterScenarioResult = await simulateCluster({ seed });
    if (result.violations.length > 0) {
      const [violation] = result.violations;
      throw new Error(
        `Seed ${seed} broke ${violation?.invariant} at ${violation?.at.toFixed(1)} ms: ${violation?.detail}\n` +
          `Replay with a trace: SIMULATION_SEED=${seed} pnpm --filter @baton/coordinator-core exec vitest run src/simulation/replay.test.ts`,
      );
    }
    summary.seeds += 1;
    summary.events += result.events;
    summary.terms += result.terms;
    summary.actions += result.actions;
    summary.failovers.push(...result.failovers);
    if (result.scenario.storeMode === 'healthy') summary.healthySeeds += 1;
  }
  return summary;
}

/** One line for the test log. */
export function describeSweep(summary: SweepSummary, elapsedMs: number): string {
  const sorted = [...summary.failovers].sort((left, right) => left - right);
  const worst = sorted.at(-1);
  return (
    `${summary.seeds} seeds (${summary.healthySeeds} with a healthy store) in ${(elapsedMs / 1000).toFixed(1)} s: ` +
    `${summary.events} events, ${summary.terms} terms, ${summary.actions} leader actions, ` +
    `${sorted.length} measured crash failovers (worst ${worst === undefined ? '-' : Math.round(worst)} ms)`
  );
}

/**
 * Declares the test for one shard of the sweep. The sweep is split over files because vitest
 * runs files, not tests, in parallel.
 */
export function defineSweepShard(shard: number, shards: number): void {
  it(`holds every invariant for every seed of shard ${shard + 1} of ${shards}`, async () => {
    const { first, last } = seedShard(shard, shards);
    const started = performance.now();
    const summary = await sweepSeeds(first, last);
    console.log(describeSweep(summary, performance.now() - started));
    expect(summary.seeds).toBe(last - first + 1);
    expect(summary.terms).toBeGreaterThan(summary.seeds);
    expect(summary.actions).toBeGreaterThan(summary.seeds);
  }, 600_000);
}
