import { describe, expect, it, vi } from 'vitest';
import { LeaderWorkRunner, type LeaderWorkContext } from './leader-work-runner';
import type { LeadershipChange, LeadershipSource } from './leadership';
import type { Logger } from './logger';

/** A leadership source driven by the test. */
class ScriptedSource implements LeadershipSource {
  readonly namespace = 'default';
  readonly workerId = 'me';
  #epoch = 0;
  #controller: AbortController | undefined;
  #lapsed = false;

  get isLeader(): boolean {
    return this.#controller !== undefined && !this.#controller.signal.aborted && !this.#lapsed;
  }
  getEpoch(): number {
    return this.#epoch;
  }
  leadershipSignal(): AbortSignal | undefined {
    return this.isLeader ? this.#controller?.signal : undefined;
  }
  lead(epoch: number): LeadershipChange {
    this.#controller?.abort();
    this.#epoch = epoch;
    this.#lapsed = false;
    this.#controller = new AbortController();
    return this.#change(true);
  }
  /** The term's deadline passed while no timer could run: isLeader is false, the signal not yet aborted. */
  lapse(): void {
    this.#lapsed = true;
  }
  lose(): LeadershipChange {
    this.#controller?.abort();
    return this.#change(false);
  }
  #change(isLeader: boolean): LeadershipChange {
    return { namespace: 'default', previousLeader: null, newLeader: isLeader ? 'me' : 'other', epoch: this.#epoch, isLeader, timestamp: 0 };
  }
}

const tick = (milliseconds = 5) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('LeaderWorkRunner', () => {
  it('runs only while leading, with the epoch and a live signal, again after each interval', async () => {
    const source = new ScriptedSource();
    const runs: LeaderWorkContext[] = [];
    const runner = new LeaderWorkRunner(source, { name: 'test', intervalMs: 10, run: (context) => {
        runs.push(context);
        return Promise.resolve();
      },
    });
    runner.onLeadershipChange(source.lose());
    await tick(30);
    expect(runs).toHaveLength(0);
    runner.onLeadershipChange(source.lead(3));
    await vi.waitFor(() => expect(runs.length).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    expect(runs.every((context) => context.epoch === 3)).toBe(true);
    expect(runner.activeEpoch).toBe(3);
    runner.onLeadershipChange(source.lose());
    const count = runs.length;
    await tick(40);
    expect(runs.length).toBe(count);
    expect(runs.every((context) => context.signal.aborted)).toBe(true);
    expect(runner.activeEpoch).toBeUndefined();
  });

  it('stops as soon as the leadership signal aborts, even before any change is reported', async () => {
    const source = new ScriptedSource();
    let running = 0;
    const runner = new LeaderWorkRunner(source, { name: 'test', intervalMs: 1, run: () => {
        running += 1;
        return Promise.resolve();
      },
    });
    runner.onLeadershipChange(source.lead(1));
    await tick(20);
    source.lose(); // the coordinator's deadline passed; no change delivered yet
    await tick(5);
    const after = running;
    await tick(30);
    expect(running).toBe(after);
  });

  it('never runs two terms at once: the old term settles before the new one starts', async () => {
    const source = new ScriptedSource();
    const events: string[] = [];
    const runner = new LeaderWorkRunner(source, {
      name: 'test',
      intervalMs: 1000,
      run: async ({ epoch, signal }) => {
        events.push(`start ${epoch}`);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => setTimeout(resolve, 20), { once: true }));
        events.push(`end ${epoch}`);
      },
    });
    runner.onLeadershipChange(source.lead(1));
    await tick();
    runner.onLeadershipChange(source.lead(2));
    await vi.waitFor(() => expect(events).toHaveLength(3), { timeout: 5000 });
    expect(events).toEqual(['start 1', 'end 1', 'start 2']);
    await runner.stop();
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('stop() waits for running work, or until its signal aborts', async () => {
    const source = new ScriptedSource();
    const runner = new LeaderWorkRunner(source, { name: 'test', intervalMs: 10, run: () => new Promise<void>(() => undefined) });
    runner.onLeadershipChange(source.lead(1));
    await tick();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const started = performance.now();
    await runner.stop({ signal: controller.signal });
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    runner.onLeadershipChange(source.lead(2));
    expect(runner.activeEpoch).toBeUndefined(); // stopped for good
  });

  it('logs a failing run and keeps going', async () => {
    const source = new ScriptedSource();
    const errors: string[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (first: string | object, second?: string) => void errors.push(second ?? JSON.stringify(first)) };
    let calls = 0;
    const runner = new LeaderWorkRunner(source, {
      name: 'flaky',
      intervalMs: 5,
      logger,
      run: () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve();
      },
    });
    runner.onLeadershipChange(source.lead(1));
    await tick(40);
    expect(calls).toBeGreaterThan(2);
    expect(errors).toEqual(['[flaky] Leader work failed: boom']);
    await runner.stop();
  });

  it('hands out a signal that is aborted the moment it is read after the term lapsed, before any timer fires', async () => {
    const source = new ScriptedSource();
    const runs: LeaderWorkContext[] = [];
    const runner = new LeaderWorkRunner(source, { name: 'stalled', intervalMs: 1000, run: (context) => {
        runs.push(context);
        return Promise.resolve();
      },
    });
    runner.onLeadershipChange(source.lead(4));
    await tick();
    const context = runs[0];
    expect(context?.signal.aborted).toBe(false);
    // The renew deadline passes during a stall: isLeader is false, no abort has been delivered yet.
    source.lapse();
    expect(context?.signal.aborted).toBe(true);
    expect(() => context?.signal.throwIfAborted()).toThrow(/term 4 ended/);
    expect(runner.activeEpoch).toBeUndefined();
    await runner.stop();
  });
  it('asks the source for a term above a higher epoch its fence met (also inside an AggregateError), and says once when the source refuses', async () => {
    const requests: number[] = [];
    let accept = true;
    const source = Object.assign(new ScriptedSource(), {
      requestEpochAbove(epoch: number): boolean {
        requests.push(epoch);
        return accept;
      },
    });
    const lines: string[] = [];
    const record = (first: string | object, second?: string): void => void lines.push(typeof first === 'string' ? first : (second ?? ''));
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: record, error: record };
    const stale = (highestEpoch: number) => Object.assign(new Error('stale'), { code: 'STALE_EPOCH', highestEpoch });
    let failure: Error = new AggregateError([new Error('other'), stale(9)]);
    const runner = new LeaderWorkRunner(source, { name: 'fenced', intervalMs: 2, logger, run: () => Promise.reject(failure) });
    runner.onLeadershipChange(source.lead(3));
    await tick(20);
    expect(requests.length).toBeGreaterThan(1);
    expect(new Set(requests)).toEqual(new Set([9]));
    expect(lines.some((line) => line.includes('moving to a term above it'))).toBe(true);
    accept = false;
    failure = stale(1_000_000_000);
    await tick(20);
    expect(lines.filter((line) => line.includes('will not move past it'))).toHaveLength(1);
    failure = stale(2); // not above the term: nothing to ask
    const asked = requests.length;
    await tick(20);
    expect(requests.length).toBe(asked);
    await runner.stop();
  });
});
