import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random';
import { SimulatedScheduler } from './simulated-scheduler';

async function chain(depth: number): Promise<void> {
  for (let index = 0; index < depth; index += 1) await Promise.resolve();
}

async function nested(depth: number): Promise<number> {
  if (depth === 0) return 0;
  return 1 + (await nested(depth - 1));
}

/** `value`, which the test knows is there: fails loudly instead of asserting with `!`. */
function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

describe('SimulatedScheduler', () => {
  it('runs events in time order, ties in insertion order, and sets now to each event time', async () => {
    const scheduler = new SimulatedScheduler();
    const trace: string[] = [];
    scheduler.schedule(30, () => trace.push(`c@${scheduler.now}`));
    scheduler.schedule(10, () => trace.push(`a@${scheduler.now}`));
    scheduler.schedule(20, () => trace.push(`b1@${scheduler.now}`));
    scheduler.schedule(20, () => trace.push(`b2@${scheduler.now}`));
    scheduler.schedule(20.5, () => trace.push(`b3@${scheduler.now}`));
    scheduler.schedule(0, () => {
      trace.push(`zero@${scheduler.now}`);
      // Scheduled during an event for the same instant: runs after everything already queued for it.
      scheduler.schedule(0, () => trace.push(`zero-again@${scheduler.now}`));
    });
    const result = await scheduler.run();
    expect(trace).toEqual(['zero@0', 'zero-again@0', 'a@10', 'b1@20', 'b2@20', 'b3@20.5', 'c@30']);
    expect(result).toEqual({ eventsRun: 7, now: 30, stopped: false });
    expect(scheduler.eventsRun).toBe(7);
    expect(scheduler.pendingCount).toBe(0);
  });

  it('orders thousands of random events exactly as a stable sort by time would', async () => {
    const scheduler = new SimulatedScheduler();
    const random = new SeededRandom('heap');
    const expected: { time: number; index: number }[] = [];
    const ran: number[] = [];
    for (let index = 0; index < 5000; index += 1) {
      // Few distinct times, so ties are common.
      const time = random.integer(0, 200);
      expected.push({ time, index });
      scheduler.schedule(time, () => ran.push(index));
    }
    await scheduler.run();
    expected.sort((left, right) => left.time - right.time || left.index - right.index);
    expect(ran).toEqual(expected.map((entry) => entry.index));
  });

  it('cancels events, including after many cancellations trigger a compaction', async () => {
    const scheduler = new SimulatedScheduler();
    const ran: number[] = [];
    const events = Array.from({ length: 5000 }, (_, index) => scheduler.schedule(index, () => ran.push(index)));
    for (const [index, event] of events.entries()) {
      if (index % 5 !== 0) expect(scheduler.cancel(event)).toBe(true);
    }
    expect(scheduler.cancel(defined(events[1]))).toBe(false);
    expect(scheduler.pendingCount).toBe(1000);
    await scheduler.run();
    expect(ran).toEqual(Array.from({ length: 1000 }, (_, index) => index * 5));
    expect(scheduler.cancel(defined(events[0]))).toBe(false); // Already ran.
  });

  it('runs until a time, leaving later events pending, and advances now to it', async () => {
    const scheduler = new SimulatedScheduler();
    const ran: number[] = [];
    for (const time of [5, 10, 15]) scheduler.schedule(time, () => ran.push(time));
    expect(await scheduler.run({ until: 10 })).toEqual({ eventsRun: 2, now: 10, stopped: false });
    expect(ran).toEqual([5, 10]);
    expect(await scheduler.run({ until: 12 })).toEqual({ eventsRun: 0, now: 12, stopped: false });
    expect(() => scheduler.schedule(11, () => undefined)).toThrow(RangeError);
    await scheduler.run();
    expect(ran).toEqual([5, 10, 15]);
  });

  it('settles every promise chain an event starts before the next event and before afterEachEvent', async () => {
    const scheduler = new SimulatedScheduler();
    let finished = 0;
    let late = 0;
    for (let index = 0; index < 300; index += 1) {
      scheduler.schedule(index, () => {
        const expected = finished + 1;
        void Promise.all([chain(index % 60), nested(index % 40), Promise.race([chain(5), chain(9)])])
          .then(async () => {
            await chain(3);
            await Promise.allSettled([Promise.reject(new Error('handled')), chain(2)]);
          })
          .then(() => {
            finished += 1;
          });
        scheduler.schedule(index + 0.5, () => {
          if (finished !== expected) late += 1;
        });
      });
    }
    const checks: number[] = [];
    await scheduler.run({
      afterEachEvent: () => {
        checks.push(finished);
      },
    });
    expect(late).toBe(0);
    expect(finished).toBe(300);
    // afterEachEvent after event i (at time i) already sees its chain finished.
    expect(checks.filter((_, index) => index % 2 === 0)).toEqual(Array.from({ length: 300 }, (_, index) => index + 1));
  });

  it('settles code started before the run, even when run() is called synchronously from a macrotask', async () => {
    const outcome = await new Promise<{ before: boolean; atFirstEvent: boolean }>((resolve, reject) => {
      setTimeout(() => {
        const scheduler = new SimulatedScheduler();
        let before = false;
        void chain(50).then(() => {
          before = true;
        });
        let chainDone = false;
        let atFirstEvent = false;
        scheduler.schedule(0, () => {
          atFirstEvent = before;
          void chain(20).then(() => {
            chainDone = true;
          });
        });
        scheduler.schedule(0, () => {
          if (!chainDone) reject(new Error('the first event did not settle before the second'));
        });
        scheduler.run().then(() => {
          resolve({ before, atFirstEvent });
        }, reject);
      }, 0);
    });
    expect(outcome).toEqual({ before: true, atFirstEvent: true });
  });

  it('rejects the run when an event or afterEachEvent throws, and can run again afterwards', async () => {
    const scheduler = new SimulatedScheduler();
    scheduler.schedule(1, () => {
      throw new Error('boom');
    });
    scheduler.schedule(2, () => undefined);
    await expect(scheduler.run()).rejects.toThrow('boom');
    expect(scheduler.running).toBe(false);
    await expect(
      scheduler.run({
        afterEachEvent: (now) => {
          throw new Error(`invariant broken at ${now}`);
        },
      }),
    ).rejects.toThrow('invariant broken at 2');
    expect(await scheduler.run()).toMatchObject({ eventsRun: 0 });
  });

  it('stops on request, and refuses to nest runs', async () => {
    const scheduler = new SimulatedScheduler();
    for (let time = 0; time < 10; time += 1) {
      scheduler.schedule(time, () => {
        if (time === 3) scheduler.stop();
      });
    }
    const first = scheduler.run();
    await expect(scheduler.run()).rejects.toThrow(/already running/);
    expect(await first).toEqual({ eventsRun: 4, now: 3, stopped: true });
    expect(await scheduler.run({ until: 100 })).toEqual({ eventsRun: 6, now: 100, stopped: false });
  });

  it('guards against livelock with maxEvents', async () => {
    const scheduler = new SimulatedScheduler();
    const rearm = (): void => {
      scheduler.scheduleAfter(0, rearm);
    };
    rearm();
    await expect(scheduler.run({ maxEvents: 1000 })).rejects.toThrow(/maxEvents \(1000\)/);
  });

  it('rejects events in the past, NaN times, and foreign handles', () => {
    const scheduler = new SimulatedScheduler();
    expect(() => scheduler.schedule(-1, () => undefined)).toThrow(RangeError);
    expect(() => scheduler.schedule(Number.NaN, () => undefined)).toThrow(RangeError);
    const foreign = new SimulatedScheduler().schedule(1, () => undefined);
    expect(() => scheduler.cancel(foreign)).toThrow(TypeError);
  });
});
