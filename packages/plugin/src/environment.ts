/**
 * Time and chance, injected. The coordinator reads time and schedules work only through these,
 * so the deterministic simulator can run thousands of seeded scenarios in simulated time, with
 * skewed and drifting clocks, and replay any of them exactly.
 */
export interface Clock {
  /**
   * Milliseconds on a clock that never jumps (CLOCK_MONOTONIC: `performance.now()`). The only
   * clock the coordinator judges leases by; it is never compared with another host's.
   */
  monotonicNow(): number;
  /** Milliseconds since the epoch on this host's wall clock. Written into records for people to read. */
  wallNow(): number;
}

/** An opaque timer handle (a Node `Timeout`, a browser number, or a simulator's id). */
export type TimerHandle = object | number;

/** Schedules callbacks. */
export interface Timers {
  /** Calls `callback` once after about `delayMs` milliseconds. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer; a no-op for one that already fired. */
  clearTimeout(handle: TimerHandle): void;
}

/** Everything time- or chance-dependent a coordinator uses. */
export interface CoordinatorEnvironment {
  /** See {@link Clock}. */
  clock: Clock;
  /** See {@link Timers}. */
  timers: Timers;
  /** A uniform random number in [0, 1): worker ids and jitter. */
  random: () => number;
}

/** The real environment: `performance.now()`, `Date.now()`, Node timers and `Math.random`. */
export const systemEnvironment: CoordinatorEnvironment = {
  clock: {
    monotonicNow: () => performance.now(),
    wallNow: () => Date.now(),
  },
  timers: {
    setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
    clearTimeout: (handle) => {
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
  },
  random: Math.random,
};

/** A random string of `length` characters from [0-9a-z], drawn from `random` (ids, tokens). */
export function randomToken(random: () => number, length: number): string {
  let token = '';
  for (let index = 0; index < length; index += 1) token += Math.floor(random() * 36).toString(36);
  return token;
}
