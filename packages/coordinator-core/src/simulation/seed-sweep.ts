import { expect, it } from 'vitest';
import { simulateCluster, type ClusterScenarioResult } from './simulate-cluster';

/** The fewest seeds a CI run may sweep: fewer would explore too few scenarios per run. */
export const CI_MINIMUM_SEEDS = 10_000;

/**
 * The seeds a sweep covers: `SIMULATION_SEEDS` (default 10,000) split into `shards` equal parts.
 * In CI (`CI=true`) fewer than {@link CI_MINIMUM_SEEDS} is an error, not a quicker run.
 */
export function seedShard(shard: number, shards: number): { first: number; last: number } {
  const total = Number(process.env.SIMULATION_SEEDS ?? CI_MINIMUM_SEEDS);
  if (!Number.isSafeInteger(total) || total < 1) throw new RangeError(`SIMULATION_SEEDS must be a whole number of at least 1, got ${process.env.SIMULATION_SEEDS}`);
  if (process.env.CI === 'true' && total < CI_MINIMUM_SEEDS) {
    throw new RangeError(`SIMULATION_SEEDS=${total} in CI: a CI run sweeps at least ${CI_MINIMUM_SEEDS} seeds (unset it)`);
  }
  const size = Math.ceil(total / shards);
  return { first: shard * size + 1, last: Math.min(total, (shard + 1) * size) };
}

/** Totals over a sweep. */
export interface SweepSummary {
  seeds: number;
  events: number;
  /** Terms claimed in the store, both domains. */
  terms: number;
  /** Fenced writes of leader work applied, both domains. */
  fencedWrites: number;
  failovers: number[];
  healthySeeds: number;
  /** Seeds where the plugin ran in mixed modes across workers. */
  mixedModeSeeds: number;
  /** Seeds with per-worker timings. */
  perWorkerTimingSeeds: number;
  /** Operator actions (deletes, corruptions, restores, resets) over the sweep. */
  operatorActions: number;
}

/**
 * Runs every seed in `[first, last]` and throws at the first violation, with the seed and the
 * command that replays it (with a trace).
 */
export async function sweepSeeds(first: number, last: number): Promise<SweepSummary> {
  const summary: SweepSummary = { seeds: 0, events: 0, terms: 0, fencedWrites: 0, failovers: [], healthySeeds: 0, mixedModeSeeds: 0, perWorkerTimingSeeds: 0, operatorActions: 0 };
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
    summary.terms += result.terms.namespace + result.terms.plugin;
    summary.fencedWrites += result.fencedWrites.namespace + result.fencedWrites.plugin;
    summary.failovers.push(...result.failovers);
    summary.operatorActions += result.operatorActions;
    if (result.scenario.storeMode === 'healthy') summary.healthySeeds += 1;
    if (result.scenario.pluginModes === 'mixed') summary.mixedModeSeeds += 1;
    if (result.scenario.perWorkerTimings) summary.perWorkerTimingSeeds += 1;
  }
  return summary;
}

/** One line for the test log. */
export function describeSweep(summary: SweepSummary, elapsedMs: number): string {
  const sorted = [...summary.failovers].sort((left, right) => left - right);
  const worst = sorted.at(-1);
  return (
    `${summary.seeds} seeds (${summary.healthySeeds} with a healthy store, ${summary.mixedModeSeeds} with mixed plugin modes, ` +
    `${summary.perWorkerTimingSeeds} with per-worker timings) in ${(elapsedMs / 1000).toFixed(1)} s: ` +
    `${summary.events} events, ${summary.terms} terms, ${summary.fencedWrites} fenced writes, ${summary.operatorActions} operator actions, ` +
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
    expect(summary.fencedWrites).toBeGreaterThan(summary.seeds);
  }, 1_800_000);
}
