import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random';
import { randomClockOptions, SIMULATION_EPOCH_MS, SimulatedProcess } from './simulated-process';
import { SimulatedScheduler } from './simulated-scheduler';

describe('SimulatedProcess clocks', () => {
  it('runs the monotonic clock at its rate from its origin, and the wall clock at true time plus skew', async () => {
    const scheduler = new SimulatedScheduler();
    const fast = new SimulatedProcess(scheduler, { rate: 1.01, skewMs: 3_600_000, monotonicOriginMs: 500 });
    const slow = new SimulatedProcess(scheduler, { rate: 0.99, skewMs: -1_800_000, monotonicOriginMs: 0 });
    expect(fast.monotonicNow()).toBe(500);
    expect(fast.wallNow()).toBe(SIMULATION_EPOCH_MS + 3_600_000);
    await scheduler.run({ until: 10_000 });
    expect(fast.monotonicNow()).toBeCloseTo(500 + 10_100, 9);
    expect(slow.monotonicNow()).toBeCloseTo(9_900, 9);
    expect(fast.wallNow()).toBe(SIMULATION_EPOCH_MS + 10_000 + 3_600_000);
    expect(slow.wallNow()).toBe(SIMULATION_EPOCH_MS + 10_000 - 1_800_000);
  });

  it('starts the monotonic clock at creation, with distinct default origins per process', async () => {
    const scheduler = new SimulatedScheduler();
    const first = new SimulatedProcess(scheduler);
    await scheduler.run({ until: 1000 });
    const second = new SimulatedProcess(scheduler, { rate: 2 });
    expect(first.name).toBe('process-0');
    expect(second.name).toBe('process-1');
    expect(first.monotonicNow()).toBe(1000);
    expect(second.monotonicNow()).toBe(1_000_003);
    await scheduler.run({ until: 1500 });
    expect(second.monotonicNow()).toBe(1_000_003 + 1000);
  });

  it('keeps the monotonic clock continuous across rate changes; wall clock jumps leave it alone', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler, { monotonicOriginMs: 0 });
    await scheduler.run({ until: 1000 });
    process.setRate(1.5);
    expect(process.monotonicNow()).toBe(1000);
    process.jumpWallClock(-60_000);
    expect(process.wallNow()).toBe(SIMULATION_EPOCH_MS + 1000 - 60_000);
    expect(process.monotonicNow()).toBe(1000);
    await scheduler.run({ until: 2000 });
    expect(process.monotonicNow()).toBe(2500);
    process.setSkew(5);
    expect(process.wallNow()).toBe(SIMULATION_EPOCH_MS + 2005);
  });

  it('draws clock options within bounds', () => {
    const random = new SeededRandom('clocks');
    for (let index = 0; index < 1000; index += 1) {
      const options = randomClockOptions(random, { maximumDrift: 0.001, maximumSkewMs: 1000 });
      expect(Math.abs(options.rate - 1)).toBeLessThanOrEqual(0.001);
      expect(Math.abs(options.skewMs)).toBeLessThanOrEqual(1000);
      expect(options.monotonicOriginMs).toBeGreaterThanOrEqual(0);
    }
    expect(() => new SimulatedProcess(new SimulatedScheduler(), { rate: 0 })).toThrow(RangeError);
  });
});

describe('SimulatedProcess timers', () => {
  it('fires a timer of d ms after d / rate real ms, never early by the process clock', async () => {
    const scheduler = new SimulatedScheduler();
    const random = new SeededRandom('timers');
    const fired: { real: number; elapsed: number; delay: number; late: boolean }[] = [];
    for (let index = 0; index < 200; index += 1) {
      const process = new SimulatedProcess(scheduler, randomClockOptions(random.fork(index), { maximumDrift: 0.05 }));
      const delay = random.between(0.5, 20_000);
      const start = process.monotonicNow();
      const startReal = scheduler.now;
      process.timers.setTimeout(() => {
        const now = process.monotonicNow();
        // Compared as the timer's deadline was computed: `now - start >= delay` may miss by a rounding
        // error when the origin is large, exactly as with performance.now() (Node may even fire 1 ms early).
        fired.push({ real: scheduler.now - startReal, elapsed: now - start, delay: Math.max(1, delay), late: now >= start + Math.max(1, delay) });
      }, delay);
    }
    await scheduler.run();
    expect(fired).toHaveLength(200);
    for (const { real, elapsed, delay, late } of fired) {
      expect(late).toBe(true);
      expect(Math.abs(elapsed - delay)).toBeLessThan(1e-3);
      expect(real).toBeGreaterThan(0);
    }
  });

  it('fires timers in deadline order, equal deadlines in the order set, and follows Node for odd delays', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler, { monotonicOriginMs: 0 });
    const trace: string[] = [];
    const set = (label: string, delay: number): void => {
      process.timers.setTimeout(() => trace.push(`${label}@${scheduler.now}`), delay);
    };
    set('b', 20);
    set('a', 10);
    set('c', 20);
    set('zero', 0);
    set('negative', -5);
    set('nan', Number.NaN);
    set('huge', 2 ** 31);
    await scheduler.run();
    expect(trace).toEqual(['zero@1', 'negative@1', 'nan@1', 'huge@1', 'a@10', 'b@20', 'c@20']);
  });

  it('clearTimeout cancels a pending timer and ignores fired, foreign or missing handles', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler);
    const trace: string[] = [];
    const cancelled = process.timers.setTimeout(() => trace.push('cancelled'), 10);
    const fired = process.timers.setTimeout(() => trace.push('fired'), 5);
    process.timers.clearTimeout(cancelled);
    expect(process.pendingTimerCount).toBe(1);
    await scheduler.run();
    process.timers.clearTimeout(fired);
    process.timers.clearTimeout(12_345);
    process.timers.clearTimeout({});
    expect(trace).toEqual(['fired']);
    expect(process.pendingTimerCount).toBe(0);
  });

  it('re-aims pending timers when the rate changes, so they still fire at their monotonic deadline', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler, { monotonicOriginMs: 0 });
    let firedAt: { real: number; monotonic: number } | undefined;
    process.timers.setTimeout(() => {
      firedAt = { real: scheduler.now, monotonic: process.monotonicNow() };
    }, 1000);
    await scheduler.run({ until: 500 });
    process.setRate(0.5);
    await scheduler.run();
    expect(firedAt?.monotonic).toBe(1000);
    expect(firedAt?.real).toBe(1500);
  });
});

describe('SimulatedProcess pause and crash', () => {
  it('holds timers while paused and runs them in order on resume, while clocks keep running', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler, { monotonicOriginMs: 0 });
    const trace: string[] = [];
    for (const delay of [100, 300, 200, 2000]) {
      process.timers.setTimeout(() => trace.push(`t${delay}@${scheduler.now}/m${process.monotonicNow()}`), delay);
    }
    scheduler.schedule(50, () => {
      process.pause(1000);
    });
    scheduler.schedule(500, () => {
      expect(process.paused).toBe(true);
      expect(process.running).toBe(false);
      expect(process.monotonicNow()).toBe(500);
    });
    await scheduler.run();
    expect(trace).toEqual(['t100@1050/m1050', 't200@1050/m1050', 't300@1050/m1050', 't2000@2000/m2000']);
    expect(process.paused).toBe(false);
  });

  it('does not run a held timer that earlier held work cleared', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler);
    const trace: string[] = [];
    process.timers.setTimeout(() => {
      trace.push('first');
      process.timers.clearTimeout(second);
    }, 10);
    const second = process.timers.setTimeout(() => trace.push('second'), 20);
    scheduler.schedule(0, () => {
      process.pause(100);
    });
    await scheduler.run();
    expect(trace).toEqual(['first']);
  });

  it('keeps held work ahead of new work arriving at the resume instant, and settles promises between items', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler);
    const trace: string[] = [];
    scheduler.schedule(0, () => {
      process.pause(100);
    });
    scheduler.schedule(10, () => {
      process.dispatch(() => {
        trace.push('held-1');
        void Promise.resolve().then(() => trace.push('held-1-continuation'));
      });
    });
    scheduler.schedule(20, () => {
      process.dispatch(() => trace.push('held-2'));
    });
    // Scheduled before the pause's resume event exists, for the same instant: still runs after the held work.
    scheduler.schedule(100, () => {
      process.dispatch(() => trace.push('new-at-resume'));
    });
    await scheduler.run();
    expect(trace).toEqual(['held-1', 'held-1-continuation', 'held-2', 'new-at-resume']);
  });

  it('extends overlapping pauses and re-holds work when paused again during a resume', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler);
    const trace: string[] = [];
    process.timers.setTimeout(() => trace.push(`a@${scheduler.now}`), 10);
    process.timers.setTimeout(() => trace.push(`b@${scheduler.now}`), 20);
    scheduler.schedule(0, () => {
      process.pause(100);
    });
    scheduler.schedule(50, () => {
      process.pause(100); // Until 150.
      process.pause(10); // Inside the current pause: no effect.
    });
    // Right after the first held timer ran at 150: pause again before the second one runs.
    let pausedAgain = false;
    await scheduler.run({
      afterEachEvent: () => {
        if (trace.length === 1 && !pausedAgain) {
          pausedAgain = true;
          process.pause(50);
        }
      },
    });
    expect(trace).toEqual(['a@150', 'b@200']);
  });

  it('after a crash runs nothing of the process ever again', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler);
    const trace: string[] = [];
    process.timers.setTimeout(() => trace.push('before-crash'), 5);
    process.timers.setTimeout(() => trace.push('held-then-crashed'), 15);
    process.timers.setTimeout(() => trace.push('pending-at-crash'), 50);
    scheduler.schedule(10, () => {
      process.pause(100);
    });
    scheduler.schedule(20, () => {
      process.crash();
      process.dispatch(() => trace.push('dispatched-after-crash'));
      process.timers.setTimeout(() => trace.push('set-after-crash'), 1);
      process.pause(10);
    });
    await scheduler.run();
    expect(trace).toEqual(['before-crash']);
    expect(process.crashed).toBe(true);
    expect(process.running).toBe(false);
    expect(process.paused).toBe(false);
    expect(process.pendingTimerCount).toBe(0);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('gives a CoordinatorEnvironment of its clock, its timers and the given random stream', async () => {
    const scheduler = new SimulatedScheduler();
    const process = new SimulatedProcess(scheduler, { rate: 2, monotonicOriginMs: 0 });
    const random = new SeededRandom(9);
    const environment = process.environment(random.fork('worker'));
    expect(environment.random()).toBe(new SeededRandom(9).fork('worker').next());
    let seen: number | undefined;
    environment.timers.setTimeout(() => {
      seen = environment.clock.monotonicNow();
    }, 100);
    await scheduler.run();
    expect(seen).toBe(100);
    expect(scheduler.now).toBe(50);
    expect(process.environment(Math.random).random).toBe(Math.random);
  });
});
