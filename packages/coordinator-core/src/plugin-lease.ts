import { termBoundSignal, type Clock, type LeadershipSource, type TimerHandle, type Timers } from '@baton/plugin';
import type { ObjectStore } from '@baton/storage';
import type { CoordinatorConfig } from './config';
import { LeaseElection, type CycleReport } from './lease-election';
import type { HeldFor } from './lease-record';
import type { NamespaceKeys } from './storage-keys';

/**
 * How much longer a plugin's lease held by a global leader lasts than the global lease, and how
 * many heartbeats pass between its renewals. Only hubs running the plugin per-plugin wait it out
 * (the next global leader takes it over at once), so a long lease costs little and keeps the
 * global leader's extra writes to one per plugin every few heartbeats.
 */
export const PLUGIN_LEASE_SCALE = 4;

/** What a {@link PluginLease} needs from its global coordinator. */
export interface PluginLeaseOptions {
  /** The plugin's name (its lease is `plg_<plugin>/coordinator/state.json`). */
  pluginName: string;
  /** The plugin's election keys: the same record its per-plugin election uses. */
  keys: NamespaceKeys;
  /** The global coordinator's store client (instrumented). */
  store: ObjectStore;
  /** The global coordinator's namespace. */
  namespace: string;
  /** The global coordinator's worker id. */
  workerId: string;
  /** The global coordinator's configuration; the plugin's lease scales it by {@link PLUGIN_LEASE_SCALE}. */
  config: CoordinatorConfig;
  clock: Clock;
  timers: Timers;
  /** The global term this worker holds now, or `undefined` while it does not lead. */
  globalTerm: () => HeldFor | undefined;
  /** Called when this lease starts or stops being held here, so the plugin is told. */
  onChange: () => void;
}

/**
 * A plugin's lease, held by its namespace's global leader on the plugin's behalf. It is the very
 * record the plugin's own election (per-plugin mode, or the fallback when a hub cannot use the
 * global coordinator) competes for, so one compare-and-swap record decides who runs the plugin's
 * leader work whatever mode each hub is in, and one epoch ledger numbers its terms in every mode:
 * the plugin's fences see its epochs only rise, even across a change of mode.
 *
 * The lease is claimed only during a global term and ends with it (rule 6 of `lease-election.ts`).
 */
export class PluginLease implements LeadershipSource {
  /** The plugin's name. */
  readonly pluginName: string;
  /** The global coordinator's namespace. */
  readonly namespace: string;
  /** The global coordinator's worker id (the lease's holder when held here). */
  readonly workerId: string;

  readonly #election: LeaseElection;
  readonly #options: PluginLeaseOptions;
  readonly #renewEveryMs: number;
  #leadership: { signal: AbortSignal; abort: (reason: unknown) => void; epoch: number } | undefined;
  #lastCycleAt: number | undefined;
  #lastReport: CycleReport | undefined;
  #lastGlobalEpoch: number | undefined;
  #deadlineTimer: TimerHandle | undefined;
  /** The cycle running now, which {@link close} waits for. */
  #cycle: Promise<unknown> = Promise.resolve();
  /** Closed (unsubscribed, stopped): never held again here, whatever a cycle in flight brings. */
  #closed = false;

  constructor(options: PluginLeaseOptions) {
    this.pluginName = options.pluginName;
    this.namespace = options.namespace;
    this.workerId = options.workerId;
    this.#options = options;
    const { config } = options;
    this.#renewEveryMs = PLUGIN_LEASE_SCALE * config.heartbeatInterval;
    this.#election = new LeaseElection({
      store: options.store,
      key: options.keys.state,
      ledgerKey: options.keys.epochLedger,
      namespace: options.pluginName,
      workerId: options.workerId,
      config: { ...config, leaseTimeout: PLUGIN_LEASE_SCALE * config.leaseTimeout, renewDeadline: PLUGIN_LEASE_SCALE * config.renewDeadline },
      clock: options.clock,
      timers: options.timers,
      heldFor: options.globalTerm,
    });
  }

  /** Whether this worker holds the plugin's lease now, under the global term it leads now. */
  get isLeader(): boolean {
    return !this.#closed && this.#heldUnderGlobalTerm();
  }

  #heldUnderGlobalTerm(): boolean {
    const term = this.#options.globalTerm();
    return term !== undefined && this.#election.isLeader && this.#election.lastRecord?.heldFor?.epoch === term.epoch;
  }

  /** The plugin's epoch: of the term held here, or the highest seen. */
  getEpoch(): number {
    return this.#election.epoch;
  }

  /** While held: a signal aborted the moment it stops being held (never live past its deadline). */
  leadershipSignal(): AbortSignal | undefined {
    return this.isLeader ? this.#leadership?.signal : undefined;
  }

  /** See {@link LeadershipSource.requestEpochAbove}: accepted, the lease's next cycle (at the next heartbeat) moves it. */
  requestEpochAbove(epoch: number): boolean {
    if (this.#closed || !this.#election.requestEpochAbove(epoch)) return false;
    this.#lastCycleAt = undefined;
    return true;
  }

  /** The plugin's lease holder as last read (this worker while held here), or `null`. */
  get holder(): string | null {
    return this.#election.leader;
  }

  /** The global term the lease is held for as last read, or `undefined` when held per-plugin (or not at all). */
  get holderTerm(): HeldFor | undefined {
    return this.#election.lastRecord?.heldFor;
  }

  /**
   * Whether a cycle is due at the global leader's heartbeat: at once in a new global term, then
   * every {@link PLUGIN_LEASE_SCALE} heartbeats while held, or every heartbeat while another
   * holder (a per-plugin election) has it or a request failed.
   */
  isDue(): boolean {
    const term = this.#options.globalTerm();
    if (term === undefined || this.#closed) return false;
    if (this.#lastCycleAt === undefined || term.epoch !== this.#lastGlobalEpoch || !this.isLeader) return true;
    const kind = this.#lastReport?.kind;
    if (kind === 'renew-failed' || kind === 'read-failed') return true;
    return this.#options.clock.monotonicNow() - this.#lastCycleAt >= this.#renewEveryMs - this.#options.config.heartbeatInterval / 2;
  }

  /** One cycle of the plugin's lease (claim, renew or follow); the global leader runs it when due. */
  async runCycle(signal: AbortSignal): Promise<CycleReport> {
    const term = this.#options.globalTerm();
    this.#lastCycleAt = this.#options.clock.monotonicNow();
    this.#lastGlobalEpoch = term?.epoch;
    const cycle = this.#election.runCycle(signal);
    this.#cycle = cycle.catch(() => undefined);
    const report = await cycle;
    this.#lastReport = report;
    this.reconcile();
    return report;
  }

  /**
   * Matches the lease's term signal to what is true now; drops the lease (without writing) when
   * the global term it was held under has ended. Tells the plugin when anything changed.
   */
  reconcile(): void {
    // Held past its global term: dropped without writing (the next global leader re-takes it). A
    // closed lease still held is kept for close() to release.
    if (this.#election.isLeader && !this.#heldUnderGlobalTerm()) this.#election.abandon();
    const leading = this.isLeader;
    const epoch = this.#election.epoch;
    let changed = false;
    if (this.#leadership !== undefined && (!leading || this.#leadership.epoch !== epoch)) {
      this.#end('the global term it was held under ended, or its renew deadline passed');
      changed = true;
    }
    if (leading && this.#leadership === undefined) {
      const { signal, abort } = termBoundSignal(
        () => this.isLeader && this.#election.epoch === epoch,
        () => new Error(`The lease of plugin ${this.pluginName} (epoch ${epoch}) ended`),
      );
      this.#leadership = { signal, abort, epoch };
      changed = true;
    }
    this.#armDeadline();
    if (changed) this.#options.onChange();
  }

  /**
   * Closes the lease for good (the plugin was unsubscribed): never held here again. Waits for a
   * cycle in flight — a claim or renewal may land after this call — then releases what it holds.
   */
  async close(signal?: AbortSignal): Promise<boolean> {
    this.#closed = true;
    this.reconcile();
    await this.#cycle;
    return this.release(signal);
  }

  /** Releases the lease if held here (stop, unsubscribe), so a successor need not wait it out. */
  async release(signal?: AbortSignal): Promise<boolean> {
    this.#end('stopped');
    this.#armDeadline();
    const released = await this.#election.release(signal);
    this.#options.onChange();
    return released;
  }

  /** Stops leading here without writing (the coordinator is going away). */
  dispose(): void {
    this.#election.abandon();
    this.#end('stopped');
    this.#armDeadline();
  }

  #end(reason: string): void {
    const leadership = this.#leadership;
    if (leadership === undefined) return;
    this.#leadership = undefined;
    leadership.abort(new Error(`The lease of plugin ${this.pluginName} (epoch ${leadership.epoch}) ended: ${reason}`));
  }

  /** A timer at the lease's renew deadline, so its signal's listeners hear the end on time. */
  #armDeadline(): void {
    const { clock, timers } = this.#options;
    if (this.#deadlineTimer !== undefined) timers.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    const deadline = this.#leadership === undefined ? undefined : this.#election.renewDeadlineAt;
    if (deadline === undefined) return;
    this.#deadlineTimer = timers.setTimeout(() => {
      this.#deadlineTimer = undefined;
      this.reconcile();
    }, Math.max(0, deadline - clock.monotonicNow()) + 1);
  }
}
