/**
 * `@baton/coordinator-core/simulation`: a deterministic simulator for running coordinators by the
 * thousand in simulated time, with skewed and drifting clocks, paused and crashed processes and
 * an unreliable store, and replaying any failing seed exactly.
 *
 * ## Wiring a scenario
 *
 * ```ts
 * const seeded = new SeededRandom(seed);
 * const scheduler = new SimulatedScheduler();
 * const store = new SimulatedStore(scheduler, UNRELIABLE_STORE_FAULTS, seeded.fork('store'));
 *
 * // One per worker. Each gets its own random stream, so adding a worker does not reshuffle the others.
 * const process = new SimulatedProcess(scheduler, { name: 'worker-1', ...randomClockOptions(seeded.fork('clock-1')) });
 * const environment = process.environment(seeded.fork('worker-1'));  // { clock, timers, random }
 * const client = store.storeFor(process);                             // an ObjectStore
 * const coordinator = new GlobalCoordinator({ store: client, environment, ... });
 *
 * // Start it inside its process (so a pause or crash applies to it), at a chosen time.
 * scheduler.schedule(0, () => process.dispatch(() => void coordinator.start()));
 *
 * // Faults are just events.
 * scheduler.schedule(20_000, () => process.pause(25_000));  // SIGSTOP for longer than the lease
 * scheduler.schedule(60_000, () => process.crash());
 * scheduler.schedule(90_000, () => store.setFaults(HEALTHY_STORE_FAULTS));  // heal, then check liveness
 *
 * await scheduler.run({
 *   until: 300_000,
 *   afterEachEvent: (now) => checkInvariants(now, store.history),  // throw to fail the seed
 * });
 * ```
 *
 * ## Rules that keep a seed replayable
 *
 * - Simulated code reads time and schedules work only through its `CoordinatorEnvironment`;
 *   never `Date.now()`, `performance.now()`, `setTimeout`, `setImmediate`, `process.nextTick`,
 *   `AbortSignal.timeout()` or `Math.random`. (An `AbortController` aborted from a simulated
 *   timer is fine.)
 * - Every random number comes from a {@link SeededRandom}; give each component its own `fork`.
 * - Run code of a process only through `process.dispatch` (timers and store responses already do).
 * - Pause and crash processes from scheduler events or `afterEachEvent`, not from their own code.
 *
 * Between events the scheduler lets every promise chain settle, so `afterEachEvent` observes a
 * quiescent system. Replays are exact: same seed, same code, same trace.
 *
 * @module
 */
export {
  randomBetween,
  randomChance,
  randomExponential,
  randomInteger,
  randomPick,
  randomShuffle,
  SeededRandom,
  seededRandom,
} from './seeded-random';
export type { RandomSource, Seed } from './seeded-random';
export { SimulatedScheduler } from './simulated-scheduler';
export type { RunOptions, RunResult, ScheduledEvent } from './simulated-scheduler';
export { randomClockOptions, SIMULATION_EPOCH_MS, SimulatedProcess } from './simulated-process';
export type { ClockBounds, SimulatedProcessOptions } from './simulated-process';
export { HEALTHY_STORE_FAULTS, storeFaults, UNRELIABLE_STORE_FAULTS, validateStoreFaults } from './store-faults';
export type { DurationRange, StoreFaults } from './store-faults';
export { SimulatedStore } from './simulated-store';
export type { AppliedWrite, SimulatedStoreOptions, SimulatedStoreStatistics } from './simulated-store';
