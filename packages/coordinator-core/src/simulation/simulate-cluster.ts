import type { ObjectStore, ProbeReport } from '@baton/storage';
import { resolveCoordinatorConfig, type CoordinatorConfig, type GlobalCoordinatorOptions } from '../config';
import { GlobalCoordinator } from '../global-coordinator';
import { silentLogger, type CoordinatorEnvironment } from '@baton/plugin';
import { SeededRandom, type Seed } from './seeded-random';
import { randomClockOptions, SimulatedProcess } from './simulated-process';
import { SimulatedScheduler } from './simulated-scheduler';
import { SimulatedStore } from './simulated-store';
import { HEALTHY_STORE_FAULTS, UNRELIABLE_STORE_FAULTS } from './store-faults';

/** How a scenario's workers are built; tests swap parts in to show the checks catch broken variants. */
export interface ClusterVariant {
  /** Wraps each worker's store client (e.g. a client that reports lost races as wins). */
  wrapStore?: (store: ObjectStore) => ObjectStore;
  /** Adjusts each worker's environment (e.g. judging leases by the wall clock). */
  wrapEnvironment?: (environment: CoordinatorEnvironment) => CoordinatorEnvironment;
}

/** A scenario: drawn from its seed unless fields are given. */
export interface ClusterScenarioOptions {
  /** The seed: the same seed replays the same scenario exactly. */
  seed: Seed;
  /** Simulated duration. Default 120 s. */
  durationMs?: number;
  /** Workers at start (crashed ones are restarted as new workers). Default 3–5. */
  workers?: number;
  /** Coordinator timings. Default: one of a few valid combinations, drawn from the seed. */
  timings?: GlobalCoordinatorOptions;
  /** `healthy` (no faults; liveness is checked too) or `unreliable`. Default drawn: ⅓ healthy. */
  storeMode?: 'healthy' | 'unreliable';
  /** Largest clock-rate drift, as a fraction. Default 0.01 (1%): far beyond real quartz clocks. */
  maximumDrift?: number;
  /** A broken variant to run instead of the real coordinator. */
  variant?: ClusterVariant;
  /** Keep a readable event trace in the result (for replays). */
  trace?: boolean;
}

/** A broken invariant, with the simulated time at which it was seen. */
export interface InvariantViolation {
  /** Which invariant. */
  invariant: 'single-leader' | 'epoch-order' | 'fencing' | 'failover-bound';
  /** Simulated real time, in milliseconds since the scenario began. */
  at: number;
  /** What was seen. */
  detail: string;
}

/** What a scenario did. */
export interface ClusterScenarioResult {
  seed: Seed;
  /** Empty when every invariant held at every step. */
  violations: InvariantViolation[];
  /** Terms begun (acquisitions). */
  terms: number;
  /** Leader-only actions performed. */
  actions: number;
  /** Crashes of a leader followed by a measured takeover (healthy store only). */
  failovers: number[];
  /** Scheduler events run. */
  events: number;
  /** The scenario as drawn. */
  scenario: { workers: number; durationMs: number; storeMode: 'healthy' | 'unreliable'; config: CoordinatorConfig };
  /** The trace, when asked for. */
  trace: string[];
}

interface SimulatedWorker {
  name: string;
  process: SimulatedProcess;
  coordinator: GlobalCoordinator;
}

const PROBE_OK: ProbeReport = {
  store: 'simulated',
  safe: true,
  observed: { readAfterWrite: true, conditionalCreate: true, conditionalUpdate: true, conditionalDelete: true, listAfterWrite: true },
  checks: [],
};

// Valid timing combinations scenarios draw from: the defaults, the guide's tunings, tight ones.
const TIMINGS: GlobalCoordinatorOptions[] = [
  { heartbeatInterval: 5000, leaseTimeout: 15_000, workerTimeout: 20_000 },
  { heartbeatInterval: 5000, leaseTimeout: 10_000, workerTimeout: 15_000 },
  { heartbeatInterval: 5000, leaseTimeout: 20_000, workerTimeout: 25_000 },
  { heartbeatInterval: 1000, leaseTimeout: 5000, workerTimeout: 6000, renewDeadline: 4500 },
];

/**
 * Runs one seeded scenario: several workers elect a leader in simulated time while the scenario
 * crashes, pauses (beyond the lease) and restarts them, skews and jumps their wall clocks by up
 * to an hour, drifts their clock rates, and (in unreliable mode) the store loses requests and
 * replies, answers 5xx/409 and stalls. After every event it checks:
 *
 * - **single-leader**: at no instant do two live workers believe they lead;
 * - **epoch-order**: every term's epoch is above every earlier term's;
 * - **fencing**: a leader-only action happens only under the newest epoch (never by a worker
 *   past its renew deadline, e.g. one resumed after a pause);
 * - **failover-bound** (healthy store): after a leader crashes, a new term begins within
 *   `leaseTimeout + heartbeatInterval` (plus store latency).
 */
export async function simulateCluster(options: ClusterScenarioOptions): Promise<ClusterScenarioResult> {
  const random = new SeededRandom(options.seed);
  const draw = random.fork('scenario');
  const durationMs = options.durationMs ?? 120_000;
  const storeMode = options.storeMode ?? (draw.chance(1 / 3) ? 'healthy' : 'unreliable');
  const config = resolveCoordinatorConfig(options.timings ?? draw.pick(TIMINGS));
  const initialWorkers = options.workers ?? draw.integer(3, 5);
  const maximumDrift = options.maximumDrift ?? 0.01;

  const scheduler = new SimulatedScheduler();
  const store = new SimulatedStore(scheduler, storeMode === 'healthy' ? HEALTHY_STORE_FAULTS : UNRELIABLE_STORE_FAULTS, random.fork('store'), {
    recordHistory: false,
  });
  const trace: string[] = [];
  const note = (message: string) => {
    if (options.trace === true) trace.push(`${scheduler.now.toFixed(1).padStart(10)} ${message}`);
  };
  const workers: SimulatedWorker[] = [];
  const violations: InvariantViolation[] = [];
  const failovers: number[] = [];
  let highestEpoch = 0;
  let terms = 0;
  let actions = 0;
  let pendingCrashOfLeaderAt: number | undefined;

  const violate = (invariant: InvariantViolation['invariant'], detail: string) => {
    violations.push({ invariant, at: scheduler.now, detail });
    note(`VIOLATION ${invariant}: ${detail}`);
    scheduler.stop();
  };

  const startWorker = (index: number) => {
    const name = `worker-${index}`;
    const process = new SimulatedProcess(scheduler, {
      name,
      ...randomClockOptions(random.fork(`clock-${index}`), { maximumDrift }),
    });
    let environment = process.environment(random.fork(`environment-${index}`));
    if (options.variant?.wrapEnvironment !== undefined) environment = options.variant.wrapEnvironment(environment);
    let client = store.storeFor(process);
    if (options.variant?.wrapStore !== undefined) client = options.variant.wrapStore(client);
    const coordinator = new GlobalCoordinator({
      store: client,
      namespace: 'default',
      config,
      logger: silentLogger,
      environment,
      probe: () => Promise.resolve(PROBE_OK),
      hostname: 'simulated',
      pid: index,
    });
    const worker: SimulatedWorker = { name, process, coordinator };
    workers.push(worker);

    coordinator.on('leadership:acquired', ({ epoch }) => {
      terms += 1;
      note(`${name} acquired epoch ${epoch}`);
      if (epoch <= highestEpoch) violate('epoch-order', `${name} began epoch ${epoch} after epoch ${highestEpoch} had begun`);
      highestEpoch = Math.max(highestEpoch, epoch);
      if (pendingCrashOfLeaderAt !== undefined) {
        failovers.push(scheduler.now - pendingCrashOfLeaderAt);
        pendingCrashOfLeaderAt = undefined;
      }
    });
    coordinator.on('leadership:lost', ({ epoch, reason }) => note(`${name} lost epoch ${epoch}: ${reason}`));

    // Leader-only work: every so often, a leader acts under its epoch, checking isLeader first.
    const act = () => {
      if (coordinator.isLeader) {
        actions += 1;
        const epoch = coordinator.getEpoch();
        if (epoch !== highestEpoch) violate('fencing', `${name} acted under epoch ${epoch} while epoch ${highestEpoch} had begun`);
      }
      environment.timers.setTimeout(act, 50 + environment.random() * 450);
    };
    process.dispatch(() => {
      coordinator.start().catch((error: unknown) => note(`${name} failed to start: ${String(error)}`));
      act();
    });
    note(`${name} started (rate ${process.rate.toFixed(4)}, skew ${Math.round(process.skewMs)} ms)`);
  };

  for (let index = 0; index < initialWorkers; index += 1) startWorker(index);

  // Chaos, drawn up front so the whole scenario is fixed by the seed.
  const chaos = random.fork('chaos');
  let nextWorkerIndex = initialWorkers;
  for (let at = chaos.between(5_000, 15_000); at < durationMs - config.leaseTimeout * 2; at += chaos.between(4_000, 20_000)) {
    const kind = chaos.pick(['crash-leader', 'crash-any', 'pause', 'long-pause', 'wall-jump', 'drift', 'restart', 'graceful-stop'] as const);
    const pickSeed = chaos.next();
    const amount = chaos.next();
    scheduler.schedule(at, () => {
      // Another fault inside a failover window makes its bound meaningless: stop measuring it.
      pendingCrashOfLeaderAt = undefined;
      const live = workers.filter((worker) => !worker.process.crashed);
      const leader = live.find((worker) => worker.coordinator.isLeader);
      const target = kind === 'crash-leader' ? leader : live[Math.floor(pickSeed * live.length)];
      if (kind === 'restart' || live.length < 2) {
        startWorker(nextWorkerIndex);
        nextWorkerIndex += 1;
        return;
      }
      if (target === undefined) return;
      switch (kind) {
        case 'crash-leader':
        case 'crash-any':
          note(`crash ${target.name}${target.coordinator.isLeader ? ' (leader)' : ''}`);
          // The bound is measured only when nothing else delays the followers (a paused follower
          // legitimately starts its wait again when it resumes).
          if (target.coordinator.isLeader && storeMode === 'healthy' && !live.some((worker) => worker.process.paused)) {
            pendingCrashOfLeaderAt = scheduler.now;
          }
          target.process.crash();
          break;
        case 'pause':
        case 'long-pause': {
          const duration = kind === 'pause' ? amount * config.heartbeatInterval * 2 : config.leaseTimeout * (1 + amount);
          note(`pause ${target.name} for ${Math.round(duration)} ms`);
          target.process.pause(duration);
          break;
        }
        case 'wall-jump': {
          const jump = (amount * 2 - 1) * 3_600_000;
          note(`wall clock of ${target.name} jumps ${Math.round(jump)} ms`);
          target.process.jumpWallClock(jump);
          break;
        }
        case 'drift':
          target.process.setRate(1 + (amount * 2 - 1) * maximumDrift);
          break;
        case 'graceful-stop':
          note(`stop ${target.name}`);
          target.process.dispatch(() => void target.coordinator.stop());
          break;
      }
    });
  }

  // The bound, stretched by the slowest clock rate allowed and a few store round trips.
  const failoverBound = (config.leaseTimeout + config.heartbeatInterval) * (1 + 2 * maximumDrift) + 8 * HEALTHY_STORE_FAULTS.latencyMs.maximum;
  const result = await scheduler.run({
    until: durationMs,
    afterEachEvent: (now) => {
      let leaders = 0;
      let names = '';
      for (const worker of workers) {
        if (!worker.process.crashed && worker.coordinator.isLeader) {
          leaders += 1;
          names += ` ${worker.name} (epoch ${worker.coordinator.getEpoch()})`;
        }
      }
      if (leaders > 1) violate('single-leader', `${leaders} workers believe they lead:${names}`);
      if (pendingCrashOfLeaderAt !== undefined && now - pendingCrashOfLeaderAt > failoverBound) {
        const live = workers.some((worker) => !worker.process.crashed && !worker.process.paused && worker.coordinator.isRunning);
        if (live) violate('failover-bound', `no new leader ${Math.round(now - pendingCrashOfLeaderAt)} ms after the leader crashed (bound ${failoverBound} ms)`);
        pendingCrashOfLeaderAt = undefined;
      }
    },
  });

  for (const worker of workers) worker.process.crash();
  return {
    seed: options.seed,
    violations,
    terms,
    actions,
    failovers,
    events: result.eventsRun,
    scenario: { workers: initialWorkers, durationMs, storeMode, config },
    trace,
  };
}
