import { EventQueue, type QueuedEvent } from './event-queue';

/** The handle {@link SimulatedScheduler.schedule} returns: pass it to `cancel`. */
export interface ScheduledEvent {
  /** When the event is due, in simulated milliseconds. */
  readonly time: number;
}

/** Options for {@link SimulatedScheduler.run}. */
export interface RunOptions {
  /**
   * Run every event due at or before this simulated time, then advance `now` to it. Default:
   * run until no events are left (or `stop()`).
   */
  until?: number;
  /**
   * Called after each event, once every promise chain the event started has settled: the place for
   * invariant checks (throw to fail the run). It should only observe, schedule events, or pause and
   * crash processes; code it runs inside a process has its promise continuations run during the next event.
   */
  afterEachEvent?: (now: number) => void;
  /**
   * Fails the run (throws) after this many events: a guard against livelock, such as a timer
   * re-arming itself forever. Default: no limit.
   */
  maxEvents?: number;
}

/** What a {@link SimulatedScheduler.run} did. */
export interface RunResult {
  /** Events run by this call. */
  eventsRun: number;
  /** Simulated time when it returned. */
  now: number;
  /** Whether it ended because `stop()` was called. */
  stopped: boolean;
}

interface SchedulerEvent extends QueuedEvent, ScheduledEvent {
  readonly owner: SimulatedScheduler;
}

/**
 * Lets every promise chain that does not wait on a simulated timer run to completion.
 *
 * Why `process.nextTick` works: the scheduler calls it while V8 drains the microtask queue (the
 * run loop itself resumes in a microtask), and Node runs the next-tick queue only once that queue
 * is empty; so the tick, and the continuation it resolves, come after every microtask the event
 * started, however deep the chain. It is about three times faster than a `setImmediate` round
 * trip through the event loop, and unlike `await Promise.resolve()` repeated N times it does not
 * depend on how deep chains are. It assumes simulated code itself neither uses `process.nextTick`
 * nor real timers, which the injected {@link CoordinatorEnvironment} makes unnecessary.
 */
function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => {
    process.nextTick(resolve);
  });
}

/**
 * One trip through the event loop. Needed once when a run starts: `run()` may be called from a
 * macrotask (a test body before its first await), where the next-tick queue runs *before* pending
 * microtasks, so the nextTick trick above only becomes valid once the loop resumes in a microtask.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}

/**
 * A discrete-event scheduler over simulated real time (milliseconds, a float, starting at 0).
 * Nothing in a simulation waits for real time: `run()` pops events in (time, insertion) order,
 * sets `now` to each event's time, runs it, and lets every promise chain it started settle before
 * the next one. Equal seeds and equal code therefore give identical event traces.
 *
 * Processes ({@link SimulatedProcess}) and the store ({@link SimulatedStore}) build their timers,
 * clocks and latencies on one shared scheduler.
 */
export class SimulatedScheduler {
  readonly #queue = new EventQueue();
  #now = 0;
  #sequence = 0;
  #running = false;
  #stopRequested = false;
  #totalEventsRun = 0;

  /** The current simulated real time, in milliseconds since the simulation started. */
  get now(): number {
    return this.#now;
  }

  /** Events scheduled and not yet run or cancelled. */
  get pendingCount(): number {
    return this.#queue.size;
  }

  /** Events run over this scheduler's whole life (every `run` call). */
  get eventsRun(): number {
    return this.#totalEventsRun;
  }

  /** Whether `run` is in progress. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Runs `callback` at simulated time `atTime`. Events due at the same time run in the order they
   * were scheduled.
   *
   * @throws {RangeError} when `atTime` is not a number or lies in the past.
   */
  schedule(atTime: number, callback: () => void): ScheduledEvent {
    if (Number.isNaN(atTime) || atTime < this.#now) {
      throw new RangeError(`Cannot schedule an event at ${atTime}: the simulated time is already ${this.#now}`);
    }
    const event: SchedulerEvent = { time: atTime, sequence: this.#sequence, callback, cancelled: false, owner: this };
    this.#sequence += 1;
    this.#queue.push(event);
    return event;
  }

  /** Runs `callback` `delayMs` simulated milliseconds from now (at least 0). */
  scheduleAfter(delayMs: number, callback: () => void): ScheduledEvent {
    return this.schedule(this.#now + Math.max(0, delayMs), callback);
  }

  /**
   * Cancels an event.
   *
   * @returns whether it was still pending (false for one that already ran or was cancelled).
   */
  cancel(event: ScheduledEvent): boolean {
    const scheduled = event as SchedulerEvent;
    if (scheduled.owner !== this) throw new TypeError('cancel(): the event belongs to another scheduler');
    if (scheduled.cancelled) return false;
    this.#queue.cancel(scheduled);
    return true;
  }

  /** Makes the current `run` return after the event in progress. */
  stop(): void {
    this.#stopRequested = true;
  }

  /**
   * Runs events in order until none are left, `until` is reached, or `stop()` is called. Before
   * the first event it lets code started before the run settle (e.g. `coordinator.start()`).
   * An exception thrown by an event (or by `afterEachEvent`) rejects the run, as an uncaught
   * exception in a timer would crash a real process.
   *
   * @throws {Error} when already running (runs do not nest), or when `maxEvents` is exceeded.
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    if (this.#running) throw new Error('SimulatedScheduler.run() is already running; runs do not nest');
    const until = options.until ?? Number.POSITIVE_INFINITY;
    if (Number.isNaN(until)) throw new RangeError('run(): until is NaN');
    const afterEachEvent = options.afterEachEvent;
    const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
    this.#running = true;
    this.#stopRequested = false;
    let eventsRun = 0;
    try {
      await yieldToEventLoop();
      while (!this.#isStopRequested()) {
        const next = this.#queue.peek();
        if (next === undefined || next.time > until) break;
        if (eventsRun >= maxEvents) {
          throw new Error(`SimulatedScheduler.run() exceeded maxEvents (${maxEvents}) at simulated time ${this.#now}: livelock?`);
        }
        this.#queue.pop();
        // Popped events count as done, so cancelling one later is a harmless no-op.
        next.cancelled = true;
        this.#now = next.time;
        eventsRun += 1;
        this.#totalEventsRun += 1;
        next.callback();
        await settleMicrotasks();
        afterEachEvent?.(this.#now);
      }
      const stopped = this.#isStopRequested();
      if (!stopped && until !== Number.POSITIVE_INFINITY && until > this.#now) this.#now = until;
      return { eventsRun, now: this.#now, stopped };
    } finally {
      this.#running = false;
      this.#stopRequested = false;
    }
  }

  // A method rather than a field read, because events set the flag behind the loop's back
  // (through stop()), which type narrowing cannot see.
  #isStopRequested(): boolean {
    return this.#stopRequested;
  }
}
