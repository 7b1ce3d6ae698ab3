import { EventEmitter } from 'node:events';
import { randomToken, termBoundSignal, type CoordinatedPlugin, type CoordinatorEnvironment, type LeadershipChange, type LeadershipSource, type Logger, type TimerHandle } from '@baton/plugin';
import {
  AccessDeniedError,
  NotFoundError,
  ProbeInconclusiveError,
  probeOutcome,
  StorageError,
  StorageUnavailableError,
  UnsafeStoreError,
  type ObjectStore,
  type ProbeReport,
} from '@baton/storage';
import type { CoordinatorConfig } from './config';
import { InstrumentedStore, type StorageMetrics, type StorageRequestObserver } from './instrumented-store';
import { LeaseElection, type CycleReport } from './lease-election';
import { PluginLease } from './plugin-lease';
import { namespaceKeys, pluginElectionKeys, type NamespaceKeys } from './storage-keys';
import { WorkerRegistry, type ActiveWorker } from './worker-registry';

/** The `leader:changed` event, exactly as the guide uses it. */
export interface LeaderChangedEvent {
  /** The namespace. */
  namespace: string;
  /** The leader before, or `null`. */
  previousLeader: string | null;
  /** The leader now, or `null` while nobody leads. */
  newLeader: string | null;
  /** The current term's epoch. */
  epoch: number;
  /** Wall-clock time on this host (for logs). */
  timestamp: number;
}

/** Events a {@link GlobalCoordinator} emits. */
export interface GlobalCoordinatorEvents {
  /** The leader of the namespace changed (as seen by this worker). */
  'leader:changed': [LeaderChangedEvent];
  /** This worker became leader. */
  'leadership:acquired': [{ namespace: string; epoch: number }];
  /** This worker stopped leading (lost the lease, passed its renew deadline, or stopped). */
  'leadership:lost': [{ namespace: string; epoch: number; reason: string }];
  /** A heartbeat cycle finished. */
  heartbeat: [{ namespace: string; outcome: CycleReport['kind']; durationMs: number }];
  /** A heartbeat cycle could not reach the store; the coordinator keeps trying. */
  'cycle:failed': [{ namespace: string; error: unknown }];
}

/** What `getMetrics()` returns. */
export interface CoordinatorMetrics {
  namespace: string;
  workerId: string;
  isRunning: boolean;
  isLeader: boolean;
  leader: string | null;
  epoch: number;
  /** Heartbeat cycles run. */
  heartbeatCount: number;
  /** Elections this worker took part in (attempts to create or take over the lease). */
  electionCount: number;
  /** Changes of leader seen after the first (from one worker, or none, to another). */
  leaderChanges: number;
  /** Wall-clock time of the last heartbeat cycle (0 before the first). */
  lastHeartbeatTime: number;
  /** Cycles that failed to reach the store. */
  cycleFailures: number;
  /** While leading: milliseconds until the renew deadline. */
  renewDeadlineRemainingMs: number | null;
  /** Storage requests of this coordinator. */
  storage: StorageMetrics;
}

/** What the hub gives each coordinator. */
export interface GlobalCoordinatorDependencies {
  store: ObjectStore;
  namespace: string;
  config: CoordinatorConfig;
  logger: Logger;
  environment: CoordinatorEnvironment;
  /** The key layout. Default: the namespace's, under `plg_coordinator_global/`. */
  keys?: NamespaceKeys;
  /** The log prefix. Default `coordinator:global`; a plugin's own election uses `coordinator:<plugin>`. */
  logScope?: string;
  /**
   * The election keys of a plugin (`plg_<plugin>/coordinator/`): the coordinator's leader holds
   * each subscribed plugin's lease there while it leads. Default: `plg_<plugin>/coordinator/`
   * for a namespace's coordinator (default `keys`); none for a plugin's own election, which is
   * that lease.
   */
  pluginLeaseKeys?: (pluginName: string) => NamespaceKeys;
  /** The hub's probe of the store: checked once, shared by its coordinators. */
  probe: () => Promise<ProbeReport>;
  hostname: string;
  pid: number;
}

/** Raised into a leader's work signal when it stops leading. */
export class LeadershipLostError extends Error {
  constructor(
    readonly namespace: string,
    readonly epoch: number,
    reason: string,
  ) {
    super(`Leadership of namespace ${namespace} (epoch ${epoch}) ended: ${reason}`);
    this.name = 'LeadershipLostError';
  }
}

/**
 * The Global Coordinator of one namespace: elects one leader among every worker sharing the
 * store, tells subscribed plugins, and keeps this worker's registration. The lease algorithm
 * itself is in `lease-election.ts`; this class runs it on timers and reports what happens.
 */
export class GlobalCoordinator extends EventEmitter<GlobalCoordinatorEvents> implements LeadershipSource {
  /** The namespace. */
  readonly namespace: string;
  /** This worker's id: `gcs-<namespace>-<timestamp>-<random>`. */
  readonly workerId: string;
  /** The configuration in force. */
  readonly config: CoordinatorConfig;
  /** Plugins subscribed to leadership changes, by name. */
  readonly subscribedPlugins = new Map<string, CoordinatedPlugin>();
  /** The timer of the next heartbeat cycle, or `null` when stopped. */
  heartbeatTimer: TimerHandle | null = null;
  /** The timer of the next deadline (a leader's renew deadline, or when a follower may take over), or `null`. */
  electionTimer: TimerHandle | null = null;

  readonly #keys: NamespaceKeys;
  readonly #store: InstrumentedStore;
  readonly #election: LeaseElection;
  readonly #registry: WorkerRegistry;
  readonly #environment: CoordinatorEnvironment;
  readonly #logger: Logger;
  readonly #probe: () => Promise<ProbeReport>;
  readonly #logPrefix: string;
  readonly #pluginLeaseKeys: ((pluginName: string) => NamespaceKeys) | undefined;
  /** Leases this coordinator holds, while it leads, for plugins subscribed with `ownLease`. */
  readonly #pluginLeases = new Map<string, PluginLease>();
  #pluginLeaseMaintenance: Promise<void> = Promise.resolve();
  /** Leases of unsubscribed plugins being closed: stop() waits for them, before the global release. */
  readonly #closingLeases = new Set<Promise<unknown>>();
  /** The holder of each plugin's lease last logged, when another holds it (logged on change only). */
  readonly #loggedPluginHolders = new Map<string, string>();
  #pluginLeaseMaintenanceInFlight = false;

  #running = false;
  #maintenance: Promise<void> = Promise.resolve();
  #maintenanceInFlight = false;
  #starting: Promise<void> | undefined;
  #cycles: Promise<unknown> = Promise.resolve();
  #announcedLeader: string | null = null;
  #announcedEpoch = 0;
  #leadership: { abort: (reason: unknown) => void; signal: AbortSignal; epoch: number } | undefined;
  #lastPruneAt: number | undefined;
  /** The epoch of the last term this worker's registration was written for as leader. */
  #registeredTerm: number | undefined;
  #lastRenewalLogAt: number | undefined;
  #counters = { heartbeatCount: 0, electionCount: 0, leaderChanges: 0, lastHeartbeatTime: 0, cycleFailures: 0 };

  constructor(options: GlobalCoordinatorDependencies) {
    super();
    const { environment, namespace } = options;
    this.namespace = namespace;
    this.config = options.config;
    this.#keys = options.keys ?? namespaceKeys(namespace);
    this.#logPrefix = `[${options.logScope ?? 'coordinator:global'}] [${namespace}] `;
    this.#environment = environment;
    this.#logger = options.logger;
    this.#probe = options.probe;
    this.#pluginLeaseKeys = options.pluginLeaseKeys ?? (options.keys === undefined ? pluginElectionKeys : undefined);
    this.workerId = `gcs-${namespace}-${Math.floor(environment.clock.wallNow())}-${randomToken(environment.random, 6)}`;
    this.#store = new InstrumentedStore(options.store, environment.clock);
    this.#election = new LeaseElection({
      store: this.#store,
      key: this.#keys.state,
      ledgerKey: this.#keys.epochLedger,
      namespace,
      workerId: this.workerId,
      config: options.config,
      clock: environment.clock,
      timers: environment.timers,
      epochFloor: () => this.#registry.highestRegisteredEpoch(),
    });
    this.#registry = new WorkerRegistry({
      store: this.#store,
      keys: this.#keys,
      namespace,
      workerId: this.workerId,
      config: options.config,
      clock: environment.clock,
      hostname: options.hostname,
      pid: options.pid,
    });
  }

  /** Whether `start()` has run and `stop()` has not. */
  get isRunning(): boolean {
    return this.#running;
  }

  /** Whether this worker holds the lease now (its renew deadline, on its monotonic clock, has not passed). */
  get isLeader(): boolean {
    // True while stopping too, until the lease is released: plugins finish leader work first.
    return this.#election.isLeader;
  }

  /**
   * Starts electing: checks once that the store enforces conditional writes, registers this
   * worker, runs a first heartbeat cycle (so the leader is known when this resolves) and keeps
   * running cycles every `heartbeatInterval`. Calling it again while running only logs
   * `Service already running`.
   *
   * @throws {UnsafeStoreError} when the store ignores conditional writes (unless `allowUnsafeStore`).
   * @throws the store's error when this worker cannot register (permissions, wrong bucket).
   */
  async start(): Promise<void> {
    if (this.#running || this.#starting !== undefined) {
      this.#log('warn', 'Service already running');
      return this.#starting;
    }
    this.#starting = this.#start();
    try {
      await this.#starting;
    } finally {
      this.#starting = undefined;
    }
  }

  async #start(): Promise<void> {
    await this.#checkStore();
    this.#running = true;
    try {
      await this.#registry.register({ isLeader: false, epoch: this.#election.epoch });
    } catch (error) {
      this.#running = false;
      this.#log('error', `Failed to register worker: ${describe(error)}`, { error });
      throw error;
    }
    this.#log('info', 'Service started');
    this.#log('info', 'Worker registered');
    await this._heartbeatCycle();
  }

  /**
   * Stops: plugins finish their leader work (up to `pluginStopTimeout`), the lease is released
   * by compare-and-swap so a follower takes over at its next heartbeat, the registration is
   * removed and every timer cleared. Safe to call more than once.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    // The deadline timer stays: leadership ends at the renew deadline whatever stop() waits for.
    this.#clearHeartbeatTimer();
    await this.#cycles.catch(() => undefined);
    await this.#maintenance;
    await this.#pluginLeaseMaintenance;
    await Promise.all(this.#closingLeases);
    if (this.#election.isLeader) {
      this.#armRenewDeadline();
      await this.#stopPluginLeaderWork();
      // Plugins' leases first: each is held under the global term, which the release below ends.
      await Promise.all([...this.#pluginLeases.values()].map((lease) => lease.release().catch(() => false)));
      this.#endLeadership('stopped');
      const released = await this.#election.release();
      this.#log('info', released ? 'Lease released' : 'Lease not released (it will expire)');
    }
    this.#clearTimers();
    for (const lease of this.#pluginLeases.values()) lease.dispose();
    this.#reconcileLeadership();
    try {
      await this.#registry.unregister();
    } catch (error) {
      this.#log('warn', `Failed to unregister worker: ${describe(error)}`, { error });
    }
    this.#log('info', 'Service stopped');
  }

  /** The current leader as this worker knows it (refreshed every heartbeat), or `null`. */
  getLeader(): Promise<string | null> {
    return Promise.resolve(this.isLeader ? this.workerId : this.#election.leader);
  }

  /** The epoch of the term this worker holds, or of the last term it saw. */
  getEpoch(): number {
    return this.#election.epoch;
  }

  /**
   * While leading, a signal aborted the moment this worker stops leading; otherwise `undefined`.
   * Reading it past the renew deadline finds it aborted even before the deadline's timer ran.
   */
  leadershipSignal(): AbortSignal | undefined {
    return this.isLeader ? this.#leadership?.signal : undefined;
  }

  /** Workers whose registration is not stale, as observed from here (one LIST plus one GET each). */
  getActiveWorkers(): Promise<ActiveWorker[]> {
    return this.#registry.activeWorkers();
  }

  /** Counters, the current term, and storage requests and latency. */
  getMetrics(): CoordinatorMetrics {
    const deadline = this.#election.renewDeadlineAt;
    const isLeader = this.isLeader;
    return {
      namespace: this.namespace,
      workerId: this.workerId,
      isRunning: this.#running,
      isLeader,
      leader: isLeader ? this.workerId : this.#election.leader,
      epoch: this.#election.epoch,
      ...this.#counters,
      renewDeadlineRemainingMs: isLeader && deadline !== undefined ? Math.max(0, Math.round(deadline - this.#environment.clock.monotonicNow())) : null,
      storage: this.#store.snapshot(),
    };
  }

  /**
   * Calls `observer` after every storage request this coordinator makes (operation, outcome,
   * duration), e.g. for latency histograms. It only watches: it cannot change any request.
   * @returns a function that removes the observer.
   */
  observeStorageRequests(observer: StorageRequestObserver): () => void {
    return this.#store.observe(observer);
  }

  /**
   * Subscribes a plugin to leadership changes; it is told the current state at once.
   *
   * A namespace's coordinator (`ownLease`, the default there) also holds, while it leads, the
   * plugin's own lease record, `plg_<plugin>/coordinator/state.json` — the record a process
   * running the plugin per-plugin competes for — and the plugin leads, with that lease's epoch,
   * only while both are held: one record decides who runs its leader work whatever mode each
   * process is in. Run its leader work by {@link leadershipOf}, not by this coordinator's own
   * term. A plugin's own election (per-plugin mode) is that lease, and holds none.
   */
  subscribePlugin(plugin: CoordinatedPlugin, options: { ownLease?: boolean } = {}): void {
    if (this.subscribedPlugins.has(plugin.name)) {
      throw new Error(`A plugin named ${JSON.stringify(plugin.name)} is already subscribed to namespace ${this.namespace}`);
    }
    if (options.ownLease ?? this.#pluginLeaseKeys !== undefined) {
      if (this.#pluginLeaseKeys === undefined) throw new Error(`The coordinator ${this.#logPrefix.trim()} is a plugin's own election: it cannot hold plugins' leases`);
      this.#pluginLeases.set(plugin.name, this.#createPluginLease(plugin, this.#pluginLeaseKeys(plugin.name)));
    }
    this.subscribedPlugins.set(plugin.name, plugin);
    this.#log('info', `Plugin subscribed: ${plugin.name}`);
    if (this.#running) {
      this.#notifyPlugin(plugin, this.#currentChange(this.#announcedLeader, this.#announcedLeader));
      if (this.#pluginLeases.has(plugin.name) && this.#election.isLeader) this.#startPluginLeaseMaintenance();
    }
  }

  /**
   * Where a subscribed plugin's leadership comes from: its own lease held here (`ownLease`),
   * or this coordinator itself.
   */
  leadershipOf(pluginName: string): LeadershipSource {
    return this.#pluginLeases.get(pluginName) ?? this;
  }

  /** Unsubscribes a plugin (releasing its lease if held here). */
  unsubscribePlugin(name: string): boolean {
    const removed = this.subscribedPlugins.delete(name);
    const lease = this.#pluginLeases.get(name);
    if (lease !== undefined) {
      this.#pluginLeases.delete(name);
      this.#loggedPluginHolders.delete(name);
      // Closed at once (never held here again); a cycle in flight may still land a claim, which
      // close() then releases. stop() waits for it, so a short-lived process leaves no lease behind.
      const closing: Promise<unknown> = lease.close().catch(() => false).finally(() => this.#closingLeases.delete(closing));
      this.#closingLeases.add(closing);
    }
    if (removed) this.#log('info', `Plugin unsubscribed: ${name}`);
    return removed;
  }

  /**
   * See {@link LeadershipSource.requestEpochAbove}: at its next cycle, moments from now, the
   * leader claims its record anew at an epoch above `epoch` (ending the current term).
   */
  requestEpochAbove(epoch: number): boolean {
    if (!this.#election.requestEpochAbove(epoch)) return false;
    if (this.#running && this.#election.isLeader) void this._heartbeatCycle();
    return true;
  }

  /**
   * Runs one heartbeat cycle now (after any cycle already running): renew or read the lease,
   * take it over if it expired, refresh the registration when due. Public as in the guide.
   */
  _heartbeatCycle(): Promise<void> {
    const cycle = this.#cycles.then(() => this.#runCycle());
    this.#cycles = cycle.catch(() => undefined);
    return cycle;
  }

  /** The key of the lease record: `plg_coordinator_global/<namespace>/state.json`. */
  _getStateKey(): string {
    return this.#keys.state;
  }

  /** The key of a worker's registration: `plg_coordinator_global/<namespace>/workers/<workerId>.json`. */
  _getWorkerKey(workerId: string): string {
    return this.#keys.worker(workerId);
  }

  /** Stops the coordinator (for `await using` where available). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #checkStore(): Promise<void> {
    const report = await this.#probe();
    if (report.safe) return;
    if (probeOutcome(report) === 'inconclusive') {
      // No verdict on the store: it kept failing transiently. A later start probes again.
      const inconclusive = report.checks.filter((check) => check.outcome === 'inconclusive').map(({ id, detail }) => ({ id, detail }));
      throw new ProbeInconclusiveError(report.store, inconclusive);
    }
    const folder = this.#keys.state.slice(0, this.#keys.state.lastIndexOf('/') + 1);
    const writeCheck = report.checks.find((check) => check.id === 'read-after-write');
    if (!report.observed.readAfterWrite) {
      // Not an unsafe store: an unusable one (permissions, bucket, configuration, or a store that loses writes).
      const detail = writeCheck?.detail ?? 'unknown error';
      const failure = writeCheck?.failure;
      const permissions = 's3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket';
      if (failure !== undefined) {
        // A transient error would have left the probe inconclusive: this one is permanent, and keeps its code.
        const context = { operation: failure.operation, key: failure.key, store: report.store };
        const problem = `Cannot ${failure.operation === 'put' ? 'write to' : 'use'} the store ${report.store} under ${folder}: the probe's ${failure.operation} of ${JSON.stringify(failure.key)} failed (${detail})`;
        if (failure.code === 'ACCESS_DENIED') {
          // The probe writes beside the namespaces (…/.probe/), so the grant covers the whole key root.
          const root = this.#keys.state.slice(0, this.#keys.state.indexOf('/') + 1);
          throw new AccessDeniedError(`${problem}: access was denied. Allow ${permissions} on ${root}* for these credentials (\`baton iam-policy\` prints the policy)`, context);
        }
        if (failure.code === 'NOT_FOUND') throw new NotFoundError(problem, context);
        throw new StorageError(failure.code, `${problem}. Check the connection string (bucket, prefix, endpoint, region)`, context);
      }
      throw new StorageUnavailableError(`Cannot write to the store ${report.store} under ${folder}: ${detail}. Check the bucket, the prefix and that ${permissions} are allowed there`, {
        operation: 'connect',
        store: report.store,
      });
    }
    const failed = report.checks.filter((check) => check.outcome === 'fail').map((check) => `${check.id}: ${check.detail}`);
    const message = `The store ${report.store} does not enforce conditional writes (${failed.join('; ')}): two workers could both become leader`;
    if (!this.config.allowUnsafeStore) {
      throw new UnsafeStoreError(`${message}. Use a store that passes probeStorage() (see \`baton verify-storage\`), or set allowUnsafeStore: true at your own risk`, report.store);
    }
    this.#log('error', `UNSAFE: ${message}. Starting anyway because allowUnsafeStore is true`);
  }

  async #runCycle(): Promise<void> {
    if (!this.#running) return;
    const clock = this.#environment.clock;
    const startedAt = clock.monotonicNow();
    this.#clearHeartbeatTimer();
    // A request that hangs must not hold the lease hostage: a leader gives up at its renew
    // deadline (it has stopped leading by then anyway); a follower after as long, which costs
    // nobody anything (a claim's own deadline starts at its write).
    const renewDeadlineAt = this.#election.renewDeadlineAt;
    const budget = this.#election.isLeader && renewDeadlineAt !== undefined ? renewDeadlineAt - startedAt : this.config.renewDeadline;
    const report = await this.#withDeadline(budget, 'heartbeat cycle', (signal) => this.#election.runCycle(signal));
    try {
      this.#counters.heartbeatCount += 1;
      this.#counters.lastHeartbeatTime = clock.wallNow();
      this.#recordOutcome(report);
      this.#reconcileLeadership();
      // stop() may have run during the awaits above.
      if (this.#isStopped()) return;
      this.#startRegistrationMaintenance();
      this.#startPluginLeaseMaintenance();
      this.#log('debug', 'Heartbeat cycle executed', { outcome: report.kind });
      this.#emitSafely('heartbeat', { namespace: this.namespace, outcome: report.kind, durationMs: clock.monotonicNow() - startedAt });
    } finally {
      // Whatever happened above, the loop goes on: a stalled loop would leave a leader's work
      // signal unaborted past its deadline.
      if (!this.#isStopped()) this.#scheduleTimers(report, startedAt);
    }
  }

  #recordOutcome(report: CycleReport): void {
    switch (report.kind) {
      case 'acquired':
        this.#counters.electionCount += 1;
        break;
      case 'claim-lost':
        this.#counters.electionCount += 1;
        this.#log('debug', `Lost an election: ${describe(report.error)}`);
        break;
      case 'renewed': {
        const now = this.#environment.clock.monotonicNow();
        // The guide shows this line about once a minute, not on every renewal.
        if (this.#lastRenewalLogAt === undefined || now - this.#lastRenewalLogAt >= 60_000) {
          this.#lastRenewalLogAt = now;
          this.#log('info', 'Coordinator epoch renewed', { epoch: report.epoch });
        }
        break;
      }
      case 'renew-failed':
        this.#log('warn', `Lease renewal failed, retrying before the renew deadline: ${describe(report.error)}`, { epoch: report.epoch });
        break;
      case 'lost':
        this.#log('warn', `Lost the lease: ${report.reason}`, { epoch: report.epoch });
        break;
      case 'invalid-record':
        this.#log('warn', `Invalid lease record in ${this.#keys.state} (${report.reason}); it will be replaced if it stays unchanged for leaseTimeout`);
        break;
      case 'read-failed':
        this.#counters.cycleFailures += 1;
        this.#log('error', `Failed to conduct election: ${describe(report.error)}`, { error: report.error });
        this.#emitSafely('cycle:failed', { namespace: this.namespace, error: report.error });
        break;
      case 'following':
        break;
    }
  }

  /**
   * Refreshes this worker's registration when due and, on the leader, removes stale ones. Runs
   * beside the heartbeat cycles, never in their way: a slow registration must not delay a renewal.
   */
  #startRegistrationMaintenance(): void {
    if (this.#maintenanceInFlight) return;
    this.#maintenanceInFlight = true;
    this.#maintenance = this.#withDeadline(this.config.workerTimeout / 4, 'registration maintenance', (signal) =>
      this.#maintainRegistrations(signal),
    ).finally(() => {
      this.#maintenanceInFlight = false;
    });
  }

  /**
   * While leading: runs the cycles of the plugins' leases that are due (at once in a new term,
   * then every few heartbeats). Beside the heartbeat cycles, like registrations, so a slow plugin
   * lease never delays the global renewal; bounded by the global renew deadline.
   */
  #startPluginLeaseMaintenance(): void {
    if (this.#pluginLeaseMaintenanceInFlight || !this.#election.isLeader) return;
    const due = [...this.#pluginLeases.values()].filter((lease) => lease.isDue());
    if (due.length === 0) return;
    this.#pluginLeaseMaintenanceInFlight = true;
    const deadline = this.#election.renewDeadlineAt ?? this.#environment.clock.monotonicNow();
    const budget = Math.min(this.config.heartbeatInterval, deadline - this.#environment.clock.monotonicNow());
    this.#pluginLeaseMaintenance = this.#withDeadline(budget, 'plugin lease cycle', async (signal) => {
      await Promise.all(
        due.map(async (lease) => {
          const report = await lease.runCycle(signal);
          if (report.kind === 'acquired') {
            this.#loggedPluginHolders.delete(lease.pluginName);
            this.#log('info', `Plugin lease acquired: ${lease.pluginName} (epoch ${report.epoch})`);
          } else if (report.kind === 'following' && report.leader !== null && report.leader !== this.workerId) {
            this.#logOtherPluginHolder(lease);
          }
        }),
      );
    })
      .catch((error: unknown) => this.#log('warn', `Plugin lease cycle failed: ${describe(error)}`, { error }))
      .finally(() => {
        this.#pluginLeaseMaintenanceInFlight = false;
      });
  }

  /** Says once per holder who else holds a plugin's lease, and in which mode (it is checked every heartbeat). */
  #logOtherPluginHolder(lease: PluginLease): void {
    const holder = lease.holder;
    if (holder === null) return;
    const heldFor = lease.holderTerm;
    const how = heldFor === undefined ? 'through its own election (per-plugin mode)' : `for its global term ${heldFor.epoch} of namespace ${heldFor.namespace}`;
    const line = `Plugin ${lease.pluginName} is led by ${holder} ${how}; this leader runs none of its leader work until that lease ends`;
    if (this.#loggedPluginHolders.get(lease.pluginName) === line) return;
    this.#loggedPluginHolders.set(lease.pluginName, line);
    this.#log('warn', line);
  }

  #createPluginLease(plugin: CoordinatedPlugin, keys: NamespaceKeys): PluginLease {
    return new PluginLease({
      pluginName: plugin.name,
      keys,
      store: this.#store,
      namespace: this.namespace,
      workerId: this.workerId,
      config: this.config,
      clock: this.#environment.clock,
      timers: this.#environment.timers,
      globalTerm: () => (this.#election.isLeader ? { namespace: this.namespace, epoch: this.#election.epoch } : undefined),
      onChange: () => {
        if (this.subscribedPlugins.get(plugin.name) === plugin) this.#notifyPlugin(plugin, this.#currentChange(this.#announcedLeader, this.#announcedLeader));
      },
    });
  }

  async #maintainRegistrations(signal: AbortSignal): Promise<void> {
    // A new leader registers at once, and again at every pass until that succeeds: its
    // registration carries the epoch, which must survive a lost lease record (see epochFloor).
    const epoch = this.#election.epoch;
    const termUnregistered = this.#election.isLeader && this.#registeredTerm !== epoch;
    if (termUnregistered || this.#registry.isRefreshDue) {
      try {
        const isLeader = this.#election.isLeader;
        await this.#registry.register({ isLeader, epoch }, signal);
        if (isLeader) this.#registeredTerm = epoch;
      } catch (error) {
        this.#log('error', `Failed to register worker: ${describe(error)}`, { error });
      }
    }
    const now = this.#environment.clock.monotonicNow();
    // Two listings a workerTimeout or more apart are what judging a registration stale takes, and
    // a live worker changes its record between any two of them: listing every 2 x workerTimeout
    // is enough, and keeps the leader's requests per minute well under 20.
    const pruneDue = this.#lastPruneAt === undefined || now - this.#lastPruneAt >= 2 * this.config.workerTimeout;
    if (!this.#election.isLeader || !pruneDue) return;
    this.#lastPruneAt = now;
    try {
      const stale = await this.#registry.findStale(signal);
      // Still leader after the listing? Only the leader removes registrations.
      if (stale.length > 0 && this.#stillLeading()) {
        this.#log('warn', `Worker timeout: ${stale.length} workers`, { workers: stale });
        await this.#registry.remove(stale, signal);
      }
    } catch (error) {
      this.#log('warn', `Failed to check worker registrations: ${describe(error)}`, { error });
    }
  }

  /** Compares what the election knows with what was announced, and announces the difference. */
  #reconcileLeadership(): void {
    const isLeader = this.isLeader;
    if (this.#leadership !== undefined && (!isLeader || this.#leadership.epoch !== this.#election.epoch)) {
      // A term ends when the lease is lost or lapses, and also when a lapsed term is re-taken
      // as a new one: work fenced by the old epoch must stop either way.
      this.#endLeadership(this.#running ? 'the lease was lost or not renewed before the renew deadline' : 'stopped');
    }
    if (isLeader && this.#leadership === undefined) {
      this.#leadership = this.#beginLeadership(this.#election.epoch);
      this.#emitSafely('leadership:acquired', { namespace: this.namespace, epoch: this.#election.epoch });
    }
    // A plugin's lease ends with the global term it was held under.
    for (const lease of this.#pluginLeases.values()) lease.reconcile();
    const leader = isLeader ? this.workerId : this.#election.leader;
    const epoch = this.#election.epoch;
    if (leader === this.#announcedLeader && (leader === null || epoch === this.#announcedEpoch)) return;
    const previousLeader = this.#announcedLeader;
    this.#announcedLeader = leader;
    this.#announcedEpoch = epoch;
    // The first leader this worker sees is not a change; every later switch is.
    if (previousLeader !== null) this.#counters.leaderChanges += 1;
    const change = this.#currentChange(previousLeader, leader);
    this.#log('info', `Leader changed: ${previousLeader ?? 'none'} → ${leader ?? 'none'} (epoch: ${epoch})`, { previousLeader, newLeader: leader, epoch });
    this.#emitSafely('leader:changed', {
      namespace: change.namespace,
      previousLeader: change.previousLeader,
      newLeader: change.newLeader,
      epoch: change.epoch,
      timestamp: change.timestamp,
    });
    for (const plugin of this.subscribedPlugins.values()) this.#notifyPlugin(plugin, change);
  }

  /**
   * A term's signal, bound to the term (see `termBoundSignal`): code resuming after an event-loop
   * stall never finds it live while this worker no longer leads, whether or not the deadline's
   * timer has fired yet.
   */
  #beginLeadership(epoch: number): { abort: (reason: unknown) => void; signal: AbortSignal; epoch: number } {
    const { signal, abort } = termBoundSignal(
      () => this.#election.isLeader && this.#election.epoch === epoch,
      () => new LeadershipLostError(this.namespace, epoch, 'the renew deadline passed'),
    );
    return { abort, signal, epoch };
  }

  #endLeadership(reason: string): void {
    const leadership = this.#leadership;
    if (leadership === undefined) return;
    this.#leadership = undefined;
    leadership.abort(new LeadershipLostError(this.namespace, leadership.epoch, reason));
    this.#emitSafely('leadership:lost', { namespace: this.namespace, epoch: leadership.epoch, reason });
  }

  #currentChange(previousLeader: string | null, newLeader: string | null): LeadershipChange {
    return {
      namespace: this.namespace,
      previousLeader,
      newLeader,
      epoch: this.#election.epoch,
      isLeader: newLeader === this.workerId && this.isLeader,
      timestamp: this.#environment.clock.wallNow(),
    };
  }

  #notifyPlugin(plugin: CoordinatedPlugin, globalChange: LeadershipChange): void {
    if (plugin.onGlobalLeaderChange === undefined) return;
    const lease = this.#pluginLeases.get(plugin.name);
    // A plugin with its own lease leads, and fences, by that lease.
    const change = lease === undefined ? globalChange : { ...globalChange, epoch: lease.getEpoch(), isLeader: lease.isLeader };
    try {
      const result = plugin.onGlobalLeaderChange(change);
      if (result instanceof Promise) {
        result.catch((error: unknown) => {
          this.#log('error', `Plugin ${plugin.name} failed on a leader change: ${describe(error)}`, { error });
        });
      }
    } catch (error) {
      this.#log('error', `Plugin ${plugin.name} failed on a leader change: ${describe(error)}`, { error });
    }
  }

  async #stopPluginLeaderWork(): Promise<void> {
    const controller = new AbortController();
    const timers = this.#environment.timers;
    let expired!: () => void;
    const deadline = new Promise<void>((resolve) => (expired = resolve));
    const timer = timers.setTimeout(() => {
      controller.abort(new Error(`pluginStopTimeout (${this.config.pluginStopTimeout} ms) passed`));
      expired();
    }, this.config.pluginStopTimeout);
    const stopping = [...this.subscribedPlugins.values()].map(async (plugin) => {
      try {
        await plugin.stopLeaderWork?.({ signal: controller.signal });
      } catch (error) {
        this.#log('warn', `Plugin ${plugin.name} failed to stop its leader work: ${describe(error)}`, { error });
      }
    });
    await Promise.race([Promise.all(stopping), deadline]);
    timers.clearTimeout(timer);
    if (controller.signal.aborted) this.#log('warn', `Plugins did not stop their leader work within ${this.config.pluginStopTimeout} ms; releasing anyway`);
  }

  #scheduleTimers(report: CycleReport, cycleStartedAt: number): void {
    const { clock, timers, random } = this.#environment;
    const now = clock.monotonicNow();
    const { heartbeatInterval } = this.config;
    // A failed renewal is retried sooner, so one slow request does not cost the lease.
    const period = report.kind === 'renew-failed' ? heartbeatInterval / 4 : heartbeatInterval;
    // Up to 10% early, never late: spreads workers' requests without weakening any bound.
    const delay = Math.max(0, cycleStartedAt + period * (1 - 0.1 * random()) - now);
    this.heartbeatTimer = timers.setTimeout(() => {
      this.heartbeatTimer = null;
      void this._heartbeatCycle();
    }, delay);

    // A leader's renew deadline always gets a timer, so its work signal aborts on time even while
    // a slow renewal is in flight; a follower's takeover moment only when it precedes the next beat.
    if (this.#election.isLeader) {
      this.#armRenewDeadline();
      return;
    }
    const takeoverAt = this.#election.takeoverPossibleAt;
    this.#armElectionTimer(takeoverAt !== undefined && takeoverAt < now + delay ? takeoverAt : undefined);
  }

  /** Arms the election timer for this leader's current renew deadline. */
  #armRenewDeadline(): void {
    this.#armElectionTimer(this.#election.renewDeadlineAt);
  }

  /** Replaces the election timer with one at `deadline` (monotonic), or with none. */
  #armElectionTimer(deadline: number | undefined): void {
    const { clock, timers } = this.#environment;
    if (this.electionTimer !== null) timers.clearTimeout(this.electionTimer);
    this.electionTimer = null;
    if (deadline === undefined) return;
    this.electionTimer = timers.setTimeout(() => {
      this.electionTimer = null;
      this.#reconcileLeadership();
      if (!this.#election.isLeader) void this._heartbeatCycle();
    }, Math.max(0, deadline - clock.monotonicNow()) + 1);
  }

  /** Emits an event; a listener that throws is logged and cannot break the election loop. */
  #emitSafely<Event extends keyof GlobalCoordinatorEvents>(event: Event, ...payload: GlobalCoordinatorEvents[Event]): void {
    try {
      (this.emit as (event: Event, ...payload: GlobalCoordinatorEvents[Event]) => boolean)(event, ...payload);
    } catch (error) {
      this.#log('error', `A '${event}' listener threw: ${describe(error)}`, { error });
    }
  }

  /** Runs `work` with a signal that aborts after `budgetMs` on this worker's clock. */
  async #withDeadline<Result>(budgetMs: number, what: string, work: (signal: AbortSignal) => Promise<Result>): Promise<Result> {
    const controller = new AbortController();
    const timers = this.#environment.timers;
    const timer = timers.setTimeout(() => {
      controller.abort(new Error(`The ${what} took longer than ${Math.round(budgetMs)} ms and was abandoned`));
    }, Math.max(1, budgetMs));
    try {
      return await work(controller.signal);
    } finally {
      timers.clearTimeout(timer);
    }
  }

  /** Read through a call so that the checks after an await are not narrowed away. */
  #isStopped(): boolean {
    return !this.#running;
  }

  #stillLeading(): boolean {
    return this.#election.isLeader;
  }

  #clearHeartbeatTimer(): void {
    if (this.heartbeatTimer !== null) this.#environment.timers.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  #clearTimers(): void {
    this.#clearHeartbeatTimer();
    this.#armElectionTimer(undefined);
  }

  #log(level: keyof Logger, message: string, context: Record<string, unknown> = {}): void {
    this.#logger[level]({ namespace: this.namespace, workerId: this.workerId, ...context }, this.#logPrefix + message);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
