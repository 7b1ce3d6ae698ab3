import { bytesToText, isStorageError, type ObjectStore } from '@baton/storage';
import type { CoordinatorEnvironment } from '@baton/plugin';
import { SeededRandom, type Seed } from './seeded-random';
import { randomClockOptions, SimulatedProcess } from './simulated-process';
import { SimulatedScheduler } from './simulated-scheduler';
import { SimulatedStore } from './simulated-store';
import type { StoreFaults } from './store-faults';

/** Options for {@link runToyLeaseWorkload}. */
export interface ToyLeaseWorkloadOptions {
  /** Simulated workers. */
  workers: number;
  /** Simulated run time, in milliseconds. */
  durationMs: number;
  /** The store's fault model. */
  faults: StoreFaults;
  /** Record a line per event and per worker action (slower; for determinism tests). */
  trace: boolean;
}

/** What {@link runToyLeaseWorkload} observed. */
export interface ToyLeaseWorkloadResult {
  /** One line per event and worker action, when tracing. */
  trace: string[];
  /** Scheduler events run. */
  eventsRun: number;
  /** Writes the store applied. */
  writes: number;
  /** Simulated time at the end. */
  now: number;
}

const LEASE_KEY = 'toy/lease.json';
const HEARTBEAT_MS = 1000;
const LEASE_TIMEOUT_MS = 5000;

/**
 * A small lease-election-shaped workload for the simulator's own tests and throughput
 * measurement: workers that, like the real coordinator, use only a {@link CoordinatorEnvironment}
 * and an `ObjectStore` (heartbeat timers with jitter, reads, create-if-absent and
 * compare-and-swap), under random clocks, pauses, crashes and store faults, all from one seed.
 * Not a correct election: it exists to exercise the simulator, not to be checked.
 */
export async function runToyLeaseWorkload(seed: Seed, options: ToyLeaseWorkloadOptions): Promise<ToyLeaseWorkloadResult> {
  const random = new SeededRandom(seed);
  const scenario = random.fork('scenario');
  const scheduler = new SimulatedScheduler();
  const store = new SimulatedStore(scheduler, options.faults, random.fork('store'));
  const trace: string[] = [];
  const log = options.trace
    ? (line: string): void => {
        trace.push(`${scheduler.now.toFixed(6)} ${line}`);
      }
    : undefined;

  for (let index = 0; index < options.workers; index += 1) {
    const process = new SimulatedProcess(scheduler, { name: `worker-${index}`, ...randomClockOptions(random.fork(`clock-${index}`)) });
    const environment = process.environment(random.fork(`worker-${index}`));
    const client = store.storeFor(process);
    scheduler.schedule(scenario.between(0, HEARTBEAT_MS), () => {
      process.dispatch(() => {
        startToyWorker(process.name, environment, client, log);
      });
    });
    // Each worker may be paused (possibly beyond the lease) or crashed once.
    if (scenario.chance(0.3)) {
      const duration = scenario.between(0, 3 * LEASE_TIMEOUT_MS);
      scheduler.schedule(scenario.between(0, options.durationMs), () => {
        log?.(`${process.name} paused for ${duration.toFixed(3)}`);
        process.pause(duration);
      });
    }
    if (scenario.chance(0.1)) {
      scheduler.schedule(scenario.between(0, options.durationMs), () => {
        log?.(`${process.name} crashed`);
        process.crash();
      });
    }
  }

  const result = await scheduler.run({
    until: options.durationMs,
    ...(log === undefined ? {} : { afterEachEvent: (now: number) => log(`event ${now.toFixed(6)}`) }),
  });
  return { trace, eventsRun: result.eventsRun, writes: store.statistics.writes, now: result.now };
}

function startToyWorker(
  name: string,
  environment: CoordinatorEnvironment,
  client: ObjectStore,
  log: ((line: string) => void) | undefined,
): void {
  const { clock, timers, random } = environment;
  let observed: { etag: string; since: number } | undefined;
  let epoch = 0;

  const cycle = async (): Promise<void> => {
    const current = await client.get(LEASE_KEY);
    if (current === undefined) {
      epoch += 1;
      await client.put(LEASE_KEY, JSON.stringify({ owner: name, epoch, wall: clock.wallNow() }), { ifNoneMatch: '*' });
      log?.(`${name} created the lease`);
      return;
    }
    const record = JSON.parse(bytesToText(current.body)) as { owner: string; epoch: number };
    if (observed?.etag !== current.etag) observed = { etag: current.etag, since: clock.monotonicNow() };
    const mine = record.owner === name;
    if (mine || clock.monotonicNow() - observed.since >= LEASE_TIMEOUT_MS) {
      epoch = record.epoch + (mine ? 0 : 1);
      const { etag } = await client.put(LEASE_KEY, JSON.stringify({ owner: name, epoch, wall: clock.wallNow() }), { ifMatch: current.etag });
      observed = { etag, since: clock.monotonicNow() };
      log?.(`${name} ${mine ? 'renewed' : 'took over'} at epoch ${epoch}`);
    }
  };

  const heartbeat = (): void => {
    cycle().then(
      () => {
        timers.setTimeout(heartbeat, HEARTBEAT_MS * (0.9 + 0.2 * random()));
      },
      (error: unknown) => {
        log?.(`${name} ${isStorageError(error) ? error.code : String(error)}`);
        timers.setTimeout(heartbeat, HEARTBEAT_MS * (0.9 + 0.2 * random()));
      },
    );
  };
  heartbeat();
}
