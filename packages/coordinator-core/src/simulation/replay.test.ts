import { expect, it } from 'vitest';
import { simulateCluster } from './simulate-cluster';

// Replays one seed with its trace: SIMULATION_SEED=123 pnpm --filter @baton/coordinator-core exec vitest run src/simulation/replay.test.ts
const seed = process.env.SIMULATION_SEED;

it.skipIf(seed === undefined)(`replays seed ${seed ?? '(set SIMULATION_SEED)'}`, async () => {
  const result = await simulateCluster({ seed: Number(seed), trace: true });
  console.log(`scenario: ${JSON.stringify(result.scenario)}\n${result.trace.join('\n')}`);
  expect(result.violations).toEqual([]);
});

it('replays a seed exactly: same seed, same trace', async () => {
  const first = await simulateCluster({ seed: 4242, trace: true });
  const second = await simulateCluster({ seed: 4242, trace: true });
  expect(second.trace).toEqual(first.trace);
  expect(first.trace.length).toBeGreaterThan(3);
});
