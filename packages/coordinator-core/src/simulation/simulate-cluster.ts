import { bytesToText, StorageUnavailableError, type ObjectStore, type ProbeReport } from '@baton/storage';
import { silentLogger, type CoordinatorEnvironment, type LeadershipSource } from '@baton/plugin';
import { resolveCoordinatorConfig, type CoordinatorConfig, type GlobalCoordinatorOptions } from '../config';
import { GlobalCoordinator } from '../global-coordinator';
import { parseLeaseRecord } from '../lease-record';
import { PLUGIN_LEASE_SCALE } from '../plugin-lease';
import { namespaceKeys, pluginElectionKeys } from '../storage-keys';
import {
  createSimulatedPlugin,
  NAMESPACE_FENCED_RECORD_KEY,
  PLUGIN_FENCED_RECORD_KEY,
  startPolledLeaderWork,
  type LeaderWorkFlaws,
  type LeadershipCheck,
  type PolledLeaderWork,
  type SimulatedPlugin,
} from './fenced-leader-work';
import { forwardingStore } from './forwarding-store';
import { GroundTruthChecker, type InvariantName, type LeadershipDomain } from './ground-truth';
import { OPERATOR_ACTION_KINDS, SimulatedOperator, type OperatorActionKind, type OperatorTarget } from './operator-actions';
import { SeededRandom, type Seed } from './seeded-random';
import { randomClockOptions, SimulatedProcess } from './simulated-process';
import { SimulatedScheduler } from './simulated-scheduler';
import { SimulatedStore } from './simulated-store';
import { HEALTHY_STORE_FAULTS, UNRELIABLE_STORE_FAULTS } from './store-faults';

/** How a scenario's workers are built; tests swap parts in to show the checks catch broken variants. */
export interface ClusterVariant {
  /** Wraps each worker's store client (e.g. a client that reports lost races as wins). */
  wrapStore?: (store: ObjectStore, environment: CoordinatorEnvironment) => ObjectStore;
  /** Adjusts each worker's environment (e.g. judging leases by the wall clock). */
  wrapEnvironment?: (environment: CoordinatorEnvironment) => CoordinatorEnvironment;
  /** Wraps the leadership each worker's leader work reads (e.g. a signal aborted only by a timer). */
  wrapLeadership?: (source: LeadershipSource, environment: CoordinatorEnvironment) => LeadershipSource;
  /** Flaws planted in every worker's leader work. */
  leaderWorkFlaws?: LeaderWorkFlaws;
  /** How the namespace's leader work checks leadership, for every worker. Default: drawn per worker. */
  leadershipCheck?: LeadershipCheck;
}

/** How the simulated plugin is coordinated across the fleet. */
export type PluginModes = 'global' | 'per-plugin' | 'mixed';

/** How one worker runs the plugin: by the global leader, by its own election, or its own election after the global coordinator failed (no namespace coordinator at all). */
export type WorkerPluginMode = 'global' | 'per-plugin' | 'fallback';

/** A scenario: drawn from its seed unless fields are given. */
export interface ClusterScenarioOptions {
  /** The seed: the same seed replays the same scenario exactly. */
  seed: Seed;
  /** Simulated duration. Default 120 s. */
  durationMs?: number;
  /** Workers at start (crashed ones are restarted as new workers). Default 3–5. */
  workers?: number;
  /** Coordinator timings of every worker. Default: drawn, in half the seeds per worker (mixed configurations). */
  timings?: GlobalCoordinatorOptions;
  /** `healthy` (no faults; liveness is checked too) or `unreliable`. Default drawn: ⅓ healthy. */
  storeMode?: 'healthy' | 'unreliable';
  /** How the plugin is coordinated. Default drawn: ½ global, ¼ per-plugin, ¼ mixed. */
  pluginModes?: PluginModes;
  /** Whether an operator acts on the records (deletes, corrupts, restores, resets). Default drawn: ½. */
  operator?: boolean;
  /** The faults and actions to draw from. Default: every worker fault, and every operator action when `operator`. */
  chaos?: readonly ChaosKind[];
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
  invariant: InvariantName;
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
  /** Terms the store shows claimed, in the namespace and the plugin's domain. */
  terms: { namespace: number; plugin: number };
  /** Fenced writes of leader work the store applied, per domain. */
  fencedWrites: { namespace: number; plugin: number };
  /** Crashes of a namespace leader followed by a measured takeover (healthy store only). */
  failovers: number[];
  /** Operator actions begun. */
  operatorActions: number;
  /** Scheduler events run. */
  events: number;
  /** The scenario as drawn. */
  scenario: {
    workers: number;
    durationMs: number;
    storeMode: 'healthy' | 'unreliable';
    pluginModes: PluginModes;
    perWorkerTimings: boolean;
    registrationFailures: boolean;
    operator: boolean;
    conditionalDelete: boolean;
    etags: 'content' | 'opaque';
    config: CoordinatorConfig;
  };
  /** The trace, when asked for. */
  trace: string[];
}

interface SimulatedWorker {
  name: string;
  process: SimulatedProcess;
  config: CoordinatorConfig;
  mode: WorkerPluginMode;
  /** The namespace's coordinator and its leader work (none for a worker that fell back). */
  namespace: { coordinator: GlobalCoordinator; work: PolledLeaderWork } | undefined;
  /** The plugin's own election (per-plugin and fallback workers). */
  pluginElection: GlobalCoordinator | undefined;
  plugin: SimulatedPlugin;
  pluginLeadership: LeadershipSource;
}

const PROBE_OK: ProbeReport = {
  store: 'simulated',
  safe: true,
  observed: { readAfterWrite: true, conditionalCreate: true, conditionalUpdate: true, conditionalDelete: true, listAfterWrite: true },
  checks: [],
};

/** The simulated plugin's name: its lease is `plg_simulated-plugin/coordinator/state.json`. */
export const SIMULATED_PLUGIN = 'simulated-plugin';

// Valid timing combinations scenarios draw from: the defaults, the guide's tunings, tight ones.
const TIMINGS: GlobalCoordinatorOptions[] = [
  { heartbeatInterval: 5000, leaseTimeout: 15_000, workerTimeout: 20_000 },
  { heartbeatInterval: 5000, leaseTimeout: 10_000, workerTimeout: 15_000 },
  { heartbeatInterval: 5000, leaseTimeout: 20_000, workerTimeout: 25_000 },
  { heartbeatInterval: 1000, leaseTimeout: 5000, workerTimeout: 6000, renewDeadline: 4500 },
];

const WORKER_FAULTS = ['crash-leader', 'crash-any', 'pause', 'long-pause', 'wall-jump', 'drift', 'restart', 'graceful-stop', 'hung-stop-leader'] as const;

/**
 * What a scenario does to its workers (crash, pause, clock faults, stop — also with every
 * request hanging, restart) and, with an operator, to the records; `delete-record-and-start-worker`
 * starts a newcomer the moment `state.json` is gone.
 */
export type ChaosKind = (typeof WORKER_FAULTS)[number] | OperatorActionKind | 'delete-record-and-start-worker';

/**
 * Runs one seeded scenario: workers elect a namespace leader and a leader of a plugin (by the
 * global leader, by the plugin's own election, or a mix of both across workers, as hubs that
 * fell back do) in simulated time, with per-worker timings, while the scenario crashes, pauses
 * (beyond the lease), stops (also with a hung renewal) and restarts them, skews and jumps their
 * wall clocks, drifts their clock rates, fails their registration writes, and (in unreliable
 * mode) the store loses requests and replies, answers 5xx (also after applying a write) and 409
 * (also to would-be winners) and stalls; in half the seeds it ignores If-Match on DELETE (as Ceph
 * RGW 16), in half it gives opaque ETags instead of content MD5s; an operator deletes,
 * corrupts, backs up and restores (byte-identically) the lease records and runs the recovery
 * commands. Each domain's leader work (checking `isLeader`, or only its leadership signal, or
 * run by `LeaderWorkRunner`) writes a fenced record. After every event it checks:
 *
 * - **single-leader** (beliefs): at no instant do two live workers believe they lead a domain —
 *   by `isLeader` or by the signal their leader work holds;
 * - **epoch-order** (store history): terms' epochs strictly increase, and each acquisition a
 *   worker announces is a claim the store applied;
 * - **fencing** (store history): leader work acts only under a term the store gave it and before
 *   any later term was claimed; no fenced write lands over a newer epoch's record;
 * - **failover-bound** (healthy store): after the namespace leader crashes, a new term begins
 *   within the longest `leaseTimeout + heartbeatInterval` (plus store latency);
 * - **leader-work-recovers** (healthy store): after a record under a higher epoch than the live
 *   term is planted, the domain's leader moves above it within a few heartbeats, never wedges.
 */
export async function simulateCluster(options: ClusterScenarioOptions): Promise<ClusterScenarioResult> {
  const random = new SeededRandom(options.seed);
  const draw = random.fork('scenario');
  const durationMs = options.durationMs ?? 120_000;
  const storeMode = options.storeMode ?? (draw.chance(1 / 3) ? 'healthy' : 'unreliable');
  const baseTimings = options.timings ?? draw.pick(TIMINGS);
  const initialWorkers = options.workers ?? draw.integer(3, 5);
  const maximumDrift = options.maximumDrift ?? 0.01;
  const perWorkerTimings = options.timings === undefined && draw.chance(0.5);
  const modeDraw = draw.next();
  const pluginModes: PluginModes = options.pluginModes ?? (modeDraw < 0.5 ? 'global' : modeDraw < 0.75 ? 'per-plugin' : 'mixed');
  const registrationFailures = draw.chance(1 / 3);
  const operatorActs = options.operator ?? draw.chance(0.5);
  // As S3 on Ceph RGW 16 (If-Match on DELETE ignored) in half the seeds; opaque ETags (a
  // byte-identical rewrite gets a new one) in half, content MD5s (it keeps its ETag) in the rest.
  const conditionalDelete = draw.chance(0.5);
  const etags = draw.chance(0.5) ? 'opaque' : 'content';
  const config = resolveCoordinatorConfig(baseTimings);
  const variant = options.variant ?? {};

  const scheduler = new SimulatedScheduler();
  const store = new SimulatedStore(scheduler, storeMode === 'healthy' ? HEALTHY_STORE_FAULTS : UNRELIABLE_STORE_FAULTS, random.fork('store'), { conditionalDelete, etags });
  const probeReport: ProbeReport = { ...PROBE_OK, observed: { ...PROBE_OK.observed, conditionalDelete } };
  const trace: string[] = [];
  const note = (message: string) => {
    if (options.trace === true) trace.push(`${scheduler.now.toFixed(1).padStart(10)} ${message}`);
  };
  const workers: SimulatedWorker[] = [];
  const violations: InvariantViolation[] = [];
  const failovers: number[] = [];
  let pendingCrashOfLeaderAt: number | undefined;

  const violate = (invariant: InvariantName, detail: string) => {
    violations.push({ invariant, at: scheduler.now, detail });
    note(`VIOLATION ${invariant}: ${detail}`);
    scheduler.stop();
  };

  const operatorProcess = new SimulatedProcess(scheduler, { name: 'operator' });
  const namespaceDomain: LeadershipDomain = { name: 'namespace', stateKey: namespaceKeys('default').state, fencedKey: NAMESPACE_FENCED_RECORD_KEY };
  const pluginDomain: LeadershipDomain = { name: 'plugin', stateKey: pluginElectionKeys(SIMULATED_PLUGIN).state, fencedKey: PLUGIN_FENCED_RECORD_KEY };
  const truth = (domain: LeadershipDomain) =>
    new GroundTruthChecker({ domain, history: () => store.history, isOutsider: (process) => process === undefined || process === operatorProcess, violate });
  const namespaceTruth = truth(namespaceDomain);
  const pluginTruth = truth(pluginDomain);

  // The timings each worker runs with, and the longest of them (what bounds and resets must cover).
  const workerConfig = (index: number): CoordinatorConfig =>
    perWorkerTimings ? resolveCoordinatorConfig(random.fork(`timings-${index}`).pick(TIMINGS)) : config;
  const configs = perWorkerTimings ? TIMINGS.map((timings) => resolveCoordinatorConfig(timings)) : [config];
  const longestLease = Math.max(...configs.map((each) => each.leaseTimeout));
  const longestHeartbeat = Math.max(...configs.map((each) => each.heartbeatInterval));
  const operator = new SimulatedOperator(store.storeFor(operatorProcess), () => operatorProcess.wallNow(), longestLease, etags);

  const startWorker = (index: number) => {
    const name = `worker-${index}`;
    const process = new SimulatedProcess(scheduler, { name, ...randomClockOptions(random.fork(`clock-${index}`), { maximumDrift }) });
    const workerRandom = random.fork(`worker-${index}`);
    let environment = process.environment(random.fork(`environment-${index}`));
    if (variant.wrapEnvironment !== undefined) environment = variant.wrapEnvironment(environment);
    const workerTimings = workerConfig(index);
    const mode: WorkerPluginMode = pluginModes === 'mixed' ? workerRandom.pick(['global', 'per-plugin', 'fallback'] as const) : pluginModes;
    const check: LeadershipCheck = variant.leadershipCheck ?? (workerRandom.chance(0.5) ? 'is-leader' : 'signal-only');
    let client = store.storeFor(process);
    if (registrationFailures) client = failingRegistrations(client, workerRandom.fork('registrations'));
    if (variant.wrapStore !== undefined) client = variant.wrapStore(client, environment);
    const leadership = (source: LeadershipSource) => (variant.wrapLeadership === undefined ? source : variant.wrapLeadership(source, environment));
    const coordinatorOptions = { store: client, config: workerTimings, logger: silentLogger, environment, probe: () => Promise.resolve(probeReport), hostname: 'simulated', pid: index };

    const plugin = createSimulatedPlugin({
      name: SIMULATED_PLUGIN,
      store: client,
      key: PLUGIN_FENCED_RECORD_KEY,
      timers: environment.timers,
      random: environment.random,
      observer: { sending: ({ workerId, epoch }) => pluginTruth.sending(workerId, epoch) },
      onLeads: ({ source, epoch }) => pluginTruth.acquired(source.workerId, epoch),
      flaws: variant.leaderWorkFlaws ?? {},
    });

    let namespace: SimulatedWorker['namespace'];
    let pluginElection: GlobalCoordinator | undefined;
    let pluginLeadership: LeadershipSource;
    if (mode !== 'fallback') {
      const coordinator = new GlobalCoordinator({ ...coordinatorOptions, namespace: 'default' });
      coordinator.on('leadership:acquired', ({ epoch }) => {
        note(`${name} acquired namespace epoch ${epoch}`);
        namespaceTruth.acquired(coordinator.workerId, epoch);
        if (pendingCrashOfLeaderAt !== undefined) {
          failovers.push(scheduler.now - pendingCrashOfLeaderAt);
          pendingCrashOfLeaderAt = undefined;
        }
      });
      coordinator.on('leadership:lost', ({ epoch, reason }) => note(`${name} lost namespace epoch ${epoch}: ${reason}`));
      if (options.trace === true) coordinator.on('heartbeat', ({ outcome }) => note(`${name} namespace cycle: ${outcome}`));
      const work = startPolledLeaderWork({
        source: leadership(coordinator),
        check,
        store: client,
        key: NAMESPACE_FENCED_RECORD_KEY,
        timers: environment.timers,
        random: environment.random,
        observer: { sending: ({ workerId, epoch }) => namespaceTruth.sending(workerId, epoch) },
        flaws: variant.leaderWorkFlaws ?? {},
      });
      namespace = { coordinator, work };
    }
    if (mode === 'global' && namespace !== undefined) {
      namespace.coordinator.subscribePlugin(plugin.plugin);
      pluginLeadership = namespace.coordinator.leadershipOf(SIMULATED_PLUGIN);
    } else {
      const election = new GlobalCoordinator({
        ...coordinatorOptions,
        namespace: SIMULATED_PLUGIN,
        keys: pluginElectionKeys(SIMULATED_PLUGIN),
        logScope: `coordinator:${SIMULATED_PLUGIN}`,
      });
      election.on('leadership:acquired', ({ epoch }) => note(`${name} acquired plugin epoch ${epoch} by its own election`));
      election.subscribePlugin(plugin.plugin);
      pluginLeadership = election.leadershipOf(SIMULATED_PLUGIN);
      pluginElection = election;
    }
    plugin.bind(leadership(pluginLeadership));
    const worker: SimulatedWorker = { name, process, config: workerTimings, mode, namespace, pluginElection, plugin, pluginLeadership };
    workers.push(worker);

    // A start that fails (a registration write failed) is retried every second, as a hub's would be.
    const startWithRetries = (coordinator: GlobalCoordinator, what: string) => {
      coordinator.start().catch((error: unknown) => {
        note(`${name} failed to start its ${what}: ${String(error)}`);
        environment.timers.setTimeout(() => {
          if (!worker.process.crashed && !stopped.has(coordinator)) startWithRetries(coordinator, what);
        }, 1000);
      });
    };
    process.dispatch(() => {
      if (namespace !== undefined) startWithRetries(namespace.coordinator, 'namespace coordinator');
      if (pluginElection !== undefined) startWithRetries(pluginElection, 'plugin election');
    });
    note(`${name} started (plugin ${mode}, ${check}, lease ${workerTimings.leaseTimeout}, rate ${process.rate.toFixed(4)}, skew ${Math.round(process.skewMs)} ms)`);
  };

  const stopped = new Set<GlobalCoordinator>();
  const stopWorker = (worker: SimulatedWorker) => {
    for (const coordinator of [worker.namespace?.coordinator, worker.pluginElection]) {
      if (coordinator === undefined) continue;
      stopped.add(coordinator);
      worker.process.dispatch(() => void coordinator.stop());
    }
  };

  for (let index = 0; index < initialWorkers; index += 1) startWorker(index);

  // Records planted under an epoch above the live term, per domain: leader work must move past them.
  const planted = new Map<LeadershipDomain, { epoch: number; since: number | undefined }>();
  const targets: { domain: LeadershipDomain; truth: GroundTruthChecker; target: OperatorTarget }[] = [
    { domain: namespaceDomain, truth: namespaceTruth, target: { keys: namespaceKeys('default'), namespace: 'default', fencedKey: NAMESPACE_FENCED_RECORD_KEY, highestEpoch: () => highestEpochOf(namespaceDomain) } },
    { domain: pluginDomain, truth: pluginTruth, target: { keys: pluginElectionKeys(SIMULATED_PLUGIN), namespace: SIMULATED_PLUGIN, fencedKey: PLUGIN_FENCED_RECORD_KEY, highestEpoch: () => highestEpochOf(pluginDomain) } },
  ];
  function highestEpochOf(domain: LeadershipDomain): number {
    return Math.max(0, ...workers.filter((worker) => !worker.process.crashed).map((worker) => epochIn(worker, domain)));
  }
  function epochIn(worker: SimulatedWorker, domain: LeadershipDomain): number {
    return domain === namespaceDomain ? (worker.namespace?.coordinator.getEpoch() ?? 0) : worker.pluginLeadership.getEpoch();
  }
  function ledgerAheadOfRecord(): boolean {
    const keys = namespaceKeys('default');
    const record = store.inspect(keys.state);
    const ledger = store.inspect(keys.epochLedger);
    const parsed = record === undefined ? undefined : parseLeaseRecord(record.body);
    if (parsed?.valid !== true) return true;
    if (ledger === undefined) return false;
    try {
      const { highestEpoch, unclaimedAbove } = JSON.parse(bytesToText(ledger.body)) as { highestEpoch?: number; unclaimedAbove?: number };
      return (unclaimedAbove ?? highestEpoch ?? 0) > parsed.record.epoch;
    } catch {
      return true;
    }
  }
  function believesItLeads(worker: SimulatedWorker, domain: LeadershipDomain): boolean {
    if (worker.process.crashed) return false;
    if (domain === pluginDomain) return worker.pluginLeadership.isLeader || worker.plugin.believesItLeads;
    return worker.namespace !== undefined && (worker.namespace.coordinator.isLeader || worker.namespace.work.believesItLeads);
  }

  // Chaos, drawn up front so the whole scenario is fixed by the seed.
  const chaos = random.fork('chaos');
  const kinds: readonly ChaosKind[] = options.chaos ?? (operatorActs ? [...WORKER_FAULTS, ...OPERATOR_ACTION_KINDS, 'delete-record-and-start-worker'] : WORKER_FAULTS);
  let nextWorkerIndex = initialWorkers;
  for (let at = chaos.between(5_000, 15_000); at < durationMs - longestLease * 2; at += chaos.between(4_000, 20_000)) {
    const kind = chaos.pick(kinds);
    const pickSeed = chaos.next();
    const amount = chaos.next();
    const target = chaos.pick(targets);
    scheduler.schedule(at, () => {
      // A crash being measured is left alone until a new leader is elected (or the bound is broken).
      if (pendingCrashOfLeaderAt !== undefined) return;
      const live = workers.filter((worker) => !worker.process.crashed);
      const namespaceLeader = live.find((worker) => worker.namespace?.coordinator.isLeader === true);
      const chosen = kind === 'crash-leader' || kind === 'hung-stop-leader' ? namespaceLeader : live[Math.floor(pickSeed * live.length)];
      if ((OPERATOR_ACTION_KINDS as readonly string[]).includes(kind) || kind === 'delete-record-and-start-worker') {
        const action: OperatorActionKind = kind === 'delete-record-and-start-worker' ? 'delete-record' : (kind as OperatorActionKind);
        operatorProcess.dispatch(() => {
          void operator.run(action, target.target, amount).then(({ description, plantedEpoch }) => {
            note(`operator: ${description}`);
            if (plantedEpoch !== undefined) planted.set(target.domain, { epoch: plantedEpoch, since: undefined });
            // A newcomer that never saw the record, started the moment it is gone.
            if (kind === 'delete-record-and-start-worker') {
              startWorker(nextWorkerIndex);
              nextWorkerIndex += 1;
            }
          });
        });
        return;
      }
      if (kind === 'restart' || live.length < 2) {
        startWorker(nextWorkerIndex);
        nextWorkerIndex += 1;
        return;
      }
      if (chosen === undefined) return;
      switch (kind) {
        case 'crash-leader':
        case 'crash-any': {
          const leads = chosen.namespace?.coordinator.isLeader === true;
          note(`crash ${chosen.name}${leads ? ' (namespace leader)' : ''}`);
          // The bound is measured only when nothing else delays the followers (a paused follower
          // legitimately starts its wait again when it resumes) and one has watched the record.
          // Nor when the ledger holds an epoch that no term claimed and nobody marked unclaimed (its
          // reserver crashed, or could not write the mark): followers then wait once more (README).
          const followers = live.filter((worker) => worker !== chosen && worker.namespace?.coordinator.isRunning === true && !worker.process.paused);
          if (leads && storeMode === 'healthy' && followers.length > 0 && !live.some((worker) => worker.process.paused) && !ledgerAheadOfRecord()) {
            pendingCrashOfLeaderAt = scheduler.now;
          }
          chosen.process.crash();
          break;
        }
        case 'pause':
        case 'long-pause': {
          const duration = kind === 'pause' ? amount * chosen.config.heartbeatInterval * 2 : chosen.config.leaseTimeout * (1 + amount);
          note(`pause ${chosen.name} for ${Math.round(duration)} ms`);
          chosen.process.pause(duration);
          break;
        }
        case 'wall-jump': {
          const jump = (amount * 2 - 1) * 3_600_000;
          note(`wall clock of ${chosen.name} jumps ${Math.round(jump)} ms`);
          chosen.process.jumpWallClock(jump);
          break;
        }
        case 'drift':
          chosen.process.setRate(1 + (amount * 2 - 1) * maximumDrift);
          break;
        case 'graceful-stop':
          note(`stop ${chosen.name}`);
          stopWorker(chosen);
          break;
        case 'hung-stop-leader':
          // Its renewal hangs (no reply for longer than the lease) while stop() waits for it:
          // leadership must still end at the renew deadline.
          note(`stop ${chosen.name} (namespace leader) while its requests hang`);
          store.partition(chosen.process, chosen.config.leaseTimeout * (1 + amount));
          stopWorker(chosen);
          break;
      }
    });
  }

  // The bound, stretched by the slowest clock rate allowed and a few store round trips.
  const failoverBound = (longestLease + longestHeartbeat) * (1 + 2 * maximumDrift) + 8 * HEALTHY_STORE_FAULTS.latencyMs.maximum;
  // Meeting a planted record takes one run of leader work; moving past it one cycle (a plugin's
  // lease held in global mode renews every PLUGIN_LEASE_SCALE heartbeats).
  const recoveryBound = (PLUGIN_LEASE_SCALE + 3) * longestHeartbeat + 2000;
  const result = await scheduler.run({
    until: durationMs,
    afterEachEvent: (now) => {
      namespaceTruth.sync();
      pluginTruth.sync();
      for (const { domain } of targets) {
        const leaders = workers.filter((worker) => believesItLeads(worker, domain));
        if (leaders.length > 1) {
          violate('single-leader', `${domain.name}: ${leaders.length} workers believe they lead:${leaders.map((worker) => ` ${worker.name} (epoch ${epochIn(worker, domain)})`).join('')}`);
        }
        const plant = planted.get(domain);
        if (plant !== undefined && storeMode === 'healthy') {
          const wedged = leaders.some((worker) => !worker.process.paused && epochIn(worker, domain) < plant.epoch);
          if (!wedged) plant.since = undefined;
          else if (plant.since === undefined) plant.since = now;
          else if (now - plant.since > recoveryBound) {
            violate('leader-work-recovers', `${domain.name}: the leader stayed below planted epoch ${plant.epoch} for ${Math.round(now - plant.since)} ms (bound ${recoveryBound} ms)`);
          }
        }
      }
      if (pendingCrashOfLeaderAt !== undefined && now - pendingCrashOfLeaderAt > failoverBound) {
        const live = workers.some((worker) => !worker.process.crashed && !worker.process.paused && worker.namespace?.coordinator.isRunning === true);
        if (live) violate('failover-bound', `no new leader ${Math.round(now - pendingCrashOfLeaderAt)} ms after the leader crashed (bound ${Math.round(failoverBound)} ms)`);
        pendingCrashOfLeaderAt = undefined;
      }
    },
  });

  for (const worker of workers) worker.process.crash();
  return {
    seed: options.seed,
    violations,
    terms: { namespace: namespaceTruth.claims, plugin: pluginTruth.claims },
    fencedWrites: { namespace: namespaceTruth.fencedWrites, plugin: pluginTruth.fencedWrites },
    failovers,
    operatorActions: operator.actions,
    events: result.eventsRun,
    scenario: { workers: initialWorkers, durationMs, storeMode, pluginModes, perWorkerTimings, registrationFailures, operator: operatorActs, conditionalDelete, etags, config },
    trace,
  };
}

/**
 * A client whose registration writes (`…/workers/…`) fail half the time, refused before they
 * reach the store: the epoch must survive without them.
 */
function failingRegistrations(store: ObjectStore, random: SeededRandom): ObjectStore {
  const refuse = (key: string): boolean => key.includes('/workers/') && random.chance(0.5);
  const failure = (operation: 'put' | 'delete', key: string) =>
    new StorageUnavailableError(`Simulated failure of a registration ${operation}`, { operation, key, store: store.description });
  return forwardingStore(store, {
    put: (key, body, options) => (refuse(key) ? Promise.reject(failure('put', key)) : store.put(key, body, options)),
    delete: (key, options) => (refuse(key) ? Promise.reject(failure('delete', key)) : store.delete(key, options)),
  });
}
