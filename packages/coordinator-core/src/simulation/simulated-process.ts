import type { Clock, CoordinatorEnvironment, TimerHandle, Timers } from '@baton/plugin';
import { randomBetween, type RandomSource, type SeededRandom } from './seeded-random';
import type { ScheduledEvent, SimulatedScheduler } from './simulated-scheduler';

/**
 * Simulated real time 0 on the wall clock: 2025-01-01T00:00:00Z. Fixed, so records that carry
 * wall-clock times are identical between replays of a seed.
 */
export const SIMULATION_EPOCH_MS = Date.UTC(2025, 0, 1);

/** Node's largest timer delay; longer delays become 1 ms there (with a TimeoutOverflowWarning). */
const MAXIMUM_TIMER_DELAY_MS = 2_147_483_647;

// Default monotonic origins are this far apart per process, so code that wrongly compares
// monotonic readings between processes sees wildly different numbers and fails loudly.
const DEFAULT_MONOTONIC_ORIGIN_STEP_MS = 1_000_003;

/** Options for {@link SimulatedProcess}. */
export interface SimulatedProcessOptions {
  /** A name for traces, errors and the store's history. Default `process-<n>`, numbered per scheduler. */
  name?: string;
  /**
   * How far this host's wall clock is ahead of true time (negative: behind), in milliseconds.
   * Real fleets see up to about an hour when NTP is broken. Default 0.
   */
  skewMs?: number;
  /**
   * How fast this host's monotonic clock runs relative to true time: 1.01 gains 1% (10 ms per
   * second), 0.99 loses 1%. Also the rate timers are measured at: a 100 ms timer fires after
   * 100 / rate real milliseconds. Default 1.
   */
  rate?: number;
  /**
   * The monotonic reading when the process is created. Default: distinct per process
   * (`n × 1,000,003`), since monotonic clocks of different hosts share no origin.
   */
  monotonicOriginMs?: number;
}

/** Bounds for {@link randomClockOptions}. */
export interface ClockBounds {
  /** The largest rate error as a fraction: 0.01 gives rates in [0.99, 1.01]. Default 0.01. */
  maximumDrift?: number;
  /** The largest wall-clock skew either way, in milliseconds. Default one hour. */
  maximumSkewMs?: number;
  /** Monotonic origins are drawn from [0, this). Default 10^9 (about 11.5 days of uptime). */
  maximumMonotonicOriginMs?: number;
}

/** Clock options drawn from `random` within `bounds`: one line per process in a seeded scenario. */
export function randomClockOptions(
  random: RandomSource | SeededRandom,
  bounds: ClockBounds = {},
): Required<Pick<SimulatedProcessOptions, 'rate' | 'skewMs' | 'monotonicOriginMs'>> {
  const next = typeof random === 'function' ? random : random.next;
  const maximumDrift = bounds.maximumDrift ?? 0.01;
  const maximumSkewMs = bounds.maximumSkewMs ?? 3_600_000;
  const maximumMonotonicOriginMs = bounds.maximumMonotonicOriginMs ?? 1e9;
  if (!(maximumDrift >= 0 && maximumDrift < 1)) throw new RangeError(`maximumDrift must be in [0, 1), got ${maximumDrift}`);
  return {
    rate: randomBetween(next, 1 - maximumDrift, 1 + maximumDrift),
    skewMs: randomBetween(next, -maximumSkewMs, maximumSkewMs),
    monotonicOriginMs: randomBetween(next, 0, maximumMonotonicOriginMs),
  };
}

/** A timer of a {@link SimulatedProcess}; the handle its `setTimeout` returns. */
interface ProcessTimer {
  readonly callback: () => void;
  /** The monotonic reading at which it is due. */
  readonly deadline: number;
  /** The scheduler event that fires it, while it is waiting for its deadline. */
  event: ScheduledEvent | undefined;
  /** False once it ran or was cleared. Checked again when a paused process resumes. */
  active: boolean;
}

const processCounts = new WeakMap<SimulatedScheduler, number>();

/**
 * A simulated worker process: its own clocks, its own timers, and a life that the scenario can
 * pause (SIGSTOP, a long GC or a VM migration) or end (a crash).
 *
 * - Monotonic clock: `origin + (real − created) × rate`, piecewise if the rate changes. It never
 *   jumps, but runs slightly fast or slow, as a real oscillator does.
 * - Wall clock: `SIMULATION_EPOCH_MS + real + skew`. The skew may be large and may jump.
 * - Timers are measured on the monotonic clock and never fire early by it.
 * - While paused, time passes but nothing of the process runs: timers that fall due and store
 *   responses that arrive wait, and run in order on resume.
 * - After `crash()`, nothing of the process ever runs again.
 *
 * Everything the process runs (timer callbacks, store responses, `dispatch`) goes through
 * {@link SimulatedProcess.dispatch}, which enforces the last two rules.
 */
export class SimulatedProcess {
  /** The name given in the options (or `process-<n>`). */
  readonly name: string;
  /** The scheduler this process lives on. */
  readonly scheduler: SimulatedScheduler;
  /** This process's clocks, in the coordinator's {@link Clock} shape. */
  readonly clock: Clock;
  /** This process's timers, in the coordinator's {@link Timers} shape. */
  readonly timers: Timers;

  #rate: number;
  #skewMs: number;
  // The monotonic clock is anchorMonotonic + (now − anchorReal) × rate; re-anchored on rate changes.
  #anchorReal: number;
  #anchorMonotonic: number;
  readonly #activeTimers = new Set<ProcessTimer>();
  #crashed = false;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  // Work that fell due while paused, in the order it fell due.
  #backlog: (() => void)[] = [];
  #drainScheduled = false;

  constructor(scheduler: SimulatedScheduler, options: SimulatedProcessOptions = {}) {
    const number = processCounts.get(scheduler) ?? 0;
    processCounts.set(scheduler, number + 1);
    this.scheduler = scheduler;
    this.name = options.name ?? `process-${number}`;
    this.#rate = validRate(options.rate ?? 1);
    this.#skewMs = finite(options.skewMs ?? 0, 'skewMs');
    this.#anchorReal = scheduler.now;
    this.#anchorMonotonic = finite(options.monotonicOriginMs ?? number * DEFAULT_MONOTONIC_ORIGIN_STEP_MS, 'monotonicOriginMs');
    this.clock = {
      monotonicNow: () => this.monotonicNow(),
      wallNow: () => this.wallNow(),
    };
    this.timers = {
      setTimeout: (callback, delayMs) => this.#setTimeout(callback, delayMs),
      clearTimeout: (handle) => {
        this.#clearTimeout(handle);
      },
    };
  }

  /** This host's monotonic clock, in milliseconds. */
  monotonicNow(): number {
    return this.#monotonicAt(this.scheduler.now);
  }

  /** This host's wall clock, in milliseconds since the epoch. */
  wallNow(): number {
    return SIMULATION_EPOCH_MS + this.scheduler.now + this.#skewMs;
  }

  /** The monotonic clock's rate relative to true time. */
  get rate(): number {
    return this.#rate;
  }

  /** The wall clock's current offset from true time, in milliseconds. */
  get skewMs(): number {
    return this.#skewMs;
  }

  /** Neither crashed nor paused: code of this process runs now. */
  get running(): boolean {
    return !this.#crashed && !this.paused;
  }

  /** Paused, and not yet resumed. */
  get paused(): boolean {
    return !this.#crashed && this.scheduler.now < this.#pausedUntil;
  }

  /** Crashed: it will never run again. */
  get crashed(): boolean {
    return this.#crashed;
  }

  /** Timers set and neither fired nor cleared (including ones due but held by a pause). */
  get pendingTimerCount(): number {
    return this.#activeTimers.size;
  }

  /**
   * Changes the monotonic clock's rate from now on. The clock stays continuous (it never jumps);
   * pending timers are re-aimed, because their deadlines are monotonic readings.
   */
  setRate(rate: number): void {
    this.#anchorMonotonic = this.monotonicNow();
    this.#anchorReal = this.scheduler.now;
    this.#rate = validRate(rate);
    for (const timer of this.#activeTimers) {
      if (timer.event === undefined) continue; // Already due, waiting for a resume.
      this.scheduler.cancel(timer.event);
      this.#arm(timer);
    }
  }

  /** Sets the wall clock's offset from true time: a jump, as when NTP steps the clock. */
  setSkew(skewMs: number): void {
    this.#skewMs = finite(skewMs, 'skewMs');
  }

  /** Steps the wall clock by `deltaMs` (negative: backwards). The monotonic clock is unaffected. */
  jumpWallClock(deltaMs: number): void {
    this.setSkew(this.#skewMs + deltaMs);
  }

  /**
   * Stops the process for `durationMs` of real time, like SIGSTOP then SIGCONT. Its clocks keep
   * running; timers that fall due and store responses that arrive meanwhile run on resume, in the
   * order they fell due. A pause during a pause extends it to the later end. No-op after a crash.
   */
  pause(durationMs: number): void {
    if (this.#crashed) return;
    if (!(durationMs >= 0)) throw new RangeError(`pause(${durationMs}): the duration must be at least 0`);
    const resumeAt = this.scheduler.now + durationMs;
    if (resumeAt <= this.#pausedUntil) return;
    this.#pausedUntil = resumeAt;
    this.scheduler.schedule(resumeAt, () => {
      this.#resume();
    });
  }

  /**
   * Kills the process: its timers are cancelled, work held by a pause is dropped, store responses
   * still on their way are never delivered, and none of its code runs again. Call it from a
   * scheduler event or `afterEachEvent`, not from the process's own code (the rest of which would
   * still run, as JavaScript cannot be stopped mid-function).
   */
  crash(): void {
    if (this.#crashed) return;
    this.#crashed = true;
    for (const timer of this.#activeTimers) {
      timer.active = false;
      if (timer.event !== undefined) this.scheduler.cancel(timer.event);
    }
    this.#activeTimers.clear();
    this.#backlog = [];
  }

  /**
   * Runs `callback` as this process: now when it is running, on resume when paused, never after
   * a crash. Timers and store responses come through here; call it to start code inside the
   * process, e.g. `scheduler.schedule(t, () => process.dispatch(() => void coordinator.start()))`.
   */
  dispatch(callback: () => void): void {
    if (this.#crashed) return;
    // Behind held work too, while a resume is still draining it: first due, first run.
    if (this.scheduler.now < this.#pausedUntil || this.#backlog.length > 0) {
      this.#backlog.push(callback);
      return;
    }
    callback();
  }

  /**
   * The {@link CoordinatorEnvironment} of this process: its clocks, its timers and `random`
   * (give each process its own stream, e.g. `seeded.fork(process.name).next`).
   */
  environment(random: RandomSource | SeededRandom): CoordinatorEnvironment {
    return {
      clock: this.clock,
      timers: this.timers,
      random: typeof random === 'function' ? random : random.next,
    };
  }

  #setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (typeof callback !== 'function') throw new TypeError('setTimeout(): the callback must be a function');
    const timer: ProcessTimer = {
      callback,
      deadline: this.monotonicNow() + nodeTimerDelay(delayMs),
      event: undefined,
      active: true,
    };
    // A crashed process runs no code, so it cannot set timers; one set from outside is inert.
    if (this.#crashed) {
      timer.active = false;
      return timer;
    }
    this.#activeTimers.add(timer);
    this.#arm(timer);
    return timer;
  }

  #clearTimeout(handle: TimerHandle): void {
    const timer = handle as ProcessTimer;
    // Foreign, fired and cleared handles are not in the set: a no-op, as in Node.
    if (!this.#activeTimers.has(timer)) return;
    timer.active = false;
    this.#activeTimers.delete(timer);
    if (timer.event !== undefined) this.scheduler.cancel(timer.event);
    timer.event = undefined;
  }

  /** Schedules the event that fires `timer` at the first real instant its deadline is reached. */
  #arm(timer: ProcessTimer): void {
    const now = this.scheduler.now;
    let fireAt = Math.max(now, this.#anchorReal + (timer.deadline - this.#anchorMonotonic) / this.#rate);
    // Rounding may put the monotonic reading at fireAt a hair below the deadline; a timer must
    // never fire early by its own clock, so nudge it later (doubling steps: few iterations even
    // when the monotonic reading is far larger than the real time and so coarser).
    let step = Math.max(Number.EPSILON * fireAt, Number.MIN_VALUE);
    while (this.#monotonicAt(fireAt) < timer.deadline) {
      fireAt += step;
      step *= 2;
    }
    timer.event = this.scheduler.schedule(fireAt, () => {
      timer.event = undefined;
      this.dispatch(() => {
        // A timer cleared by work that ran earlier in the same resume must not fire.
        if (!timer.active) return;
        timer.active = false;
        this.#activeTimers.delete(timer);
        timer.callback();
      });
    });
  }

  #monotonicAt(realTime: number): number {
    return this.#anchorMonotonic + (realTime - this.#anchorReal) * this.#rate;
  }

  #resume(): void {
    // An earlier resume event of an extended pause, or a crash meanwhile: nothing to do.
    if (this.#crashed || this.scheduler.now < this.#pausedUntil) return;
    this.#scheduleDrain();
  }

  /**
   * Runs held work one item per scheduler event, so promise chains settle between items as they
   * would between callbacks of a real event loop, and a pause or crash in between still applies.
   */
  #scheduleDrain(): void {
    if (this.#drainScheduled || this.#backlog.length === 0) return;
    this.#drainScheduled = true;
    this.scheduler.schedule(this.scheduler.now, () => {
      this.#drainScheduled = false;
      // Paused again: the next resume drains. Crashed: the backlog is gone.
      if (this.#crashed || this.scheduler.now < this.#pausedUntil) return;
      const work = this.#backlog.shift();
      this.#scheduleDrain();
      work?.();
    });
  }
}

/** Node's rule: delays that are not numbers in [1, 2^31 − 1] become 1 ms. */
function nodeTimerDelay(delayMs: number): number {
  // JavaScript callers may pass a numeric string, which Node coerces.
  const given: unknown = delayMs;
  const delay = Number(given);
  return delay >= 1 && delay <= MAXIMUM_TIMER_DELAY_MS ? delay : 1;
}

function validRate(rate: number): number {
  if (!(rate > 0 && Number.isFinite(rate))) throw new RangeError(`A clock rate must be a positive number, got ${rate}`);
  return rate;
}

function finite(value: number, name: string): number {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
  return value;
}
