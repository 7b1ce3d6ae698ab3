import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random';
import { SimulatedProcess } from './simulated-process';
import { SimulatedScheduler } from './simulated-scheduler';
import { HEALTHY_STORE_FAULTS, UNRELIABLE_STORE_FAULTS } from './store-faults';
import { runToyLeaseWorkload } from './toy-lease-workload';

// Throughput is measured and printed, with deliberately low floors: CI machines vary, and the
// point of the floors is only to catch an order-of-magnitude regression (e.g. a settle strategy
// that goes through the event loop per microtask).

function report(label: string, events: number, milliseconds: number, extra = ''): number {
  const perSecond = (events / milliseconds) * 1000;
  console.log(`[simulation throughput] ${label}: ${events} events in ${milliseconds.toFixed(0)} ms = ${Math.round(perSecond).toLocaleString('en-US')} events/s${extra}`);
  return perSecond;
}

describe('throughput', () => {
  it('runs bare scheduler events (heap, settle, afterEachEvent)', async () => {
    const scheduler = new SimulatedScheduler();
    const random = new SeededRandom('bare');
    let checks = 0;
    // 1000 concurrent chains of events, as many timers in flight as a large cluster has.
    for (let chain = 0; chain < 1000; chain += 1) {
      const step = (): void => {
        scheduler.scheduleAfter(random.between(0, 100), step);
      };
      step();
    }
    const started = performance.now();
    const result = await scheduler.run({
      until: 30_000,
      afterEachEvent: () => {
        checks += 1;
      },
    });
    const perSecond = report('bare scheduler', result.eventsRun, performance.now() - started);
    expect(checks).toBe(result.eventsRun);
    expect(perSecond).toBeGreaterThan(100_000);
  });

  it('runs process timers that start promise chains', async () => {
    const scheduler = new SimulatedScheduler();
    const random = new SeededRandom('timers');
    for (let index = 0; index < 100; index += 1) {
      const process = new SimulatedProcess(scheduler, { rate: random.between(0.99, 1.01) });
      const tick = (): void => {
        void (async () => {
          await Promise.resolve();
          await Promise.resolve();
          process.timers.setTimeout(tick, random.between(1, 50));
        })();
      };
      process.timers.setTimeout(tick, 1);
    }
    const started = performance.now();
    const result = await scheduler.run({ until: 60_000 });
    const perSecond = report('process timers with async work', result.eventsRun, performance.now() - started);
    expect(perSecond).toBeGreaterThan(50_000);
  });

  it('runs whole seeded scenarios: 5 workers, 60 s simulated, store traffic, faults, pauses and crashes', async () => {
    for (const [label, faults] of [
      ['healthy', HEALTHY_STORE_FAULTS],
      ['unreliable', UNRELIABLE_STORE_FAULTS],
    ] as const) {
      const scenarios = 1000;
      let events = 0;
      let writes = 0;
      const started = performance.now();
      for (let seed = 0; seed < scenarios; seed += 1) {
        const result = await runToyLeaseWorkload(seed, { workers: 5, durationMs: 60_000, faults, trace: false });
        events += result.eventsRun;
        writes += result.writes;
      }
      const elapsed = performance.now() - started;
      const perScenario = elapsed / scenarios;
      // Only what ran here: this toy workload is not the cluster simulation the seed sweep runs,
      // so no sweep duration can be read off it (the sweep's shards print their own).
      report(
        `${scenarios} ${label} toy-lease scenarios (5 workers, 60 s simulated each)`,
        events,
        elapsed,
        `; ${perScenario.toFixed(2)} ms per scenario (${Math.round(events / scenarios)} events, ${Math.round(writes / scenarios)} writes each)`,
      );
      expect(perScenario).toBeLessThan(50);
    }
  }, 120_000);
});
