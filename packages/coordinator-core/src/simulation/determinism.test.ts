import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HEALTHY_STORE_FAULTS, UNRELIABLE_STORE_FAULTS } from './store-faults';
import { runToyLeaseWorkload } from './toy-lease-workload';

function fingerprint(trace: readonly string[]): string {
  return createHash('sha256').update(trace.join('\n')).digest('hex');
}

describe('determinism', () => {
  const options = { workers: 5, durationMs: 60_000, faults: UNRELIABLE_STORE_FAULTS, trace: true };

  it('replays the same seed to an identical trace', async () => {
    for (const seed of [1, 2, 'replay-me']) {
      const first = await runToyLeaseWorkload(seed, options);
      const second = await runToyLeaseWorkload(seed, options);
      expect(first.trace.length).toBeGreaterThan(300);
      expect(second.trace).toEqual(first.trace);
      expect(second.eventsRun).toBe(first.eventsRun);
    }
  });

  it('gives different traces for different seeds', async () => {
    const fingerprints = new Set<string>();
    for (let seed = 0; seed < 20; seed += 1) fingerprints.add(fingerprint((await runToyLeaseWorkload(seed, options)).trace));
    expect(fingerprints.size).toBe(20);
  });

  it('does not depend on anything outside the seed: interleaved runs and real time do not change a trace', async () => {
    const alone = await runToyLeaseWorkload(77, options);
    // Two scenarios at once in one Node process, sharing the event loop, and a real delay in between.
    const [together] = await Promise.all([
      runToyLeaseWorkload(77, options),
      runToyLeaseWorkload(78, options),
      new Promise((resolve) => setTimeout(resolve, 5)),
    ]);
    expect(together.trace).toEqual(alone.trace);
  });

  it('exercises the faults and the healthy mode as configured', async () => {
    const healthy = await runToyLeaseWorkload(5, { ...options, faults: HEALTHY_STORE_FAULTS });
    expect(healthy.trace.some((line) => /UNAVAILABLE|OUTCOME_UNKNOWN/.test(line))).toBe(false);
    const unreliable = await runToyLeaseWorkload(5, { ...options, workers: 10, durationMs: 300_000 });
    expect(unreliable.trace.some((line) => line.includes('OUTCOME_UNKNOWN'))).toBe(true);
    expect(unreliable.trace.some((line) => line.includes('UNAVAILABLE'))).toBe(true);
    expect(unreliable.trace.some((line) => line.includes('PRECONDITION_FAILED'))).toBe(true);
  });
});
