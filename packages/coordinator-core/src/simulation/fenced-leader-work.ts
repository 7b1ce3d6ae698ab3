import { bytesToText, type ObjectStore, type StoredObject } from '@baton/storage';
import { EpochFence, LeaderWorkRunner, type CoordinatedPlugin, type LeadershipSource, type Timers } from '@baton/plugin';

/** The record simulated leader work writes, fenced by epoch as the queue's and TTL's records are. */
export interface FencedRecord {
  /** The epoch of the term the write was made under. */
  epoch: number;
  /** The worker that wrote it. */
  writer: string;
  /** How many fenced writes the record has seen. */
  sequence: number;
}

/** The fenced record of the namespace's leader work. */
export const NAMESPACE_FENCED_RECORD_KEY = 'simulated-work/namespace.json';
/** The fenced record of the simulated plugin's leader work. */
export const PLUGIN_FENCED_RECORD_KEY = 'simulated-work/plugin.json';

/** Reads a fenced record's bytes; anything else (an operator's garbage) counts as epoch 0. */
export function parseFencedRecord(body: Uint8Array): FencedRecord | undefined {
  try {
    const value = JSON.parse(bytesToText(body)) as Partial<FencedRecord>;
    return typeof value.epoch === 'number' && typeof value.writer === 'string' && typeof value.sequence === 'number' ? (value as FencedRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Encodes a fenced record. */
export function encodeFencedRecord(record: FencedRecord): string {
  return JSON.stringify(record);
}

/**
 * Ways to get leader work wrong, planted by tests to show the simulator's checks catch each.
 * The real work has none.
 */
export interface LeaderWorkFlaws {
  /** Writes without comparing the record's epoch with its own (no fence). */
  skipsFenceCheck?: boolean;
  /** Checks leadership once, before the work's slow step, and not again before the write. */
  checksOnlyAtStart?: boolean;
  /** Leaves a record under a higher epoch than its live term as it is (the fence refuses every run). */
  ignoresHigherEpoch?: boolean;
}

/** The refusal of stale work, shaped as every baton package's `StaleEpochError` (the runner reads `code` and `highestEpoch`). */
export class SimulatedStaleEpochError extends Error {
  /** As the packages' stale-epoch errors. */
  readonly code = 'STALE_EPOCH';

  constructor(
    readonly epoch: number,
    readonly highestEpoch: number,
  ) {
    super(`Simulated leader work under epoch ${epoch} refused: epoch ${highestEpoch} has acted`);
    this.name = 'SimulatedStaleEpochError';
  }
}

/** What a simulated fenced write tells the checkers. */
export interface FencedWriteObserver {
  /**
   * Called synchronously just before the write is sent, while the worker believes it leads under
   * `epoch`: the moment a leader-only side effect happens.
   */
  sending(write: { epoch: number; workerId: string }): void;
}

/** What one run of simulated leader work needs. */
interface FencedWriteContext {
  store: ObjectStore;
  key: string;
  workerId: string;
  epoch: number;
  fence: EpochFence;
  timers: Timers;
  random: () => number;
  flaws: LeaderWorkFlaws;
  observer: FencedWriteObserver;
  /** Whether the worker still leads under `epoch` (the check before the side effect). */
  stillLeads: () => boolean;
  signal: AbortSignal | undefined;
}

/**
 * One run of leader work as the queue's duties do it: read the fenced record, refuse it if a
 * newer term wrote it, spend some time (the work), check leadership again, then write by
 * compare-and-swap on the version read. A write sent just before the deadline may land during
 * the successor's term: the compare-and-swap and the successor's fence are what keep it harmless.
 */
async function runFencedWrite(context: FencedWriteContext): Promise<void> {
  const { store, key, epoch, fence, flaws, signal } = context;
  const current: StoredObject | undefined = await store.get(key, { signal });
  const record = current === undefined ? undefined : parseFencedRecord(current.body);
  if (flaws.skipsFenceCheck !== true) {
    fence.admit(epoch);
    fence.checkRecord(record?.epoch ?? 0, epoch);
  }
  await sleep(context.timers, 10 + context.random() * 190, signal);
  if (flaws.checksOnlyAtStart !== true && !context.stillLeads()) return;
  context.observer.sending({ epoch, workerId: context.workerId });
  const next = encodeFencedRecord({ epoch, writer: context.workerId, sequence: (record?.sequence ?? 0) + 1 });
  // Flawed work that checks only at the start does not pass its signal on, either.
  const writeSignal = flaws.checksOnlyAtStart === true ? undefined : signal;
  await store.put(key, next, current === undefined ? { ifNoneMatch: '*', signal: writeSignal } : { ifMatch: current.etag, signal: writeSignal });
}

/** How polled leader work decides it leads. */
export type LeadershipCheck = 'is-leader' | 'signal-only';

/** Options of {@link startPolledLeaderWork}. */
export interface PolledLeaderWorkOptions {
  /** Where leadership comes from (a namespace's coordinator). */
  source: LeadershipSource;
  /** `is-leader`: checks `isLeader` before each step; `signal-only`: keeps the leadership signal and checks only it. */
  check: LeadershipCheck;
  /** The worker's own store client. */
  store: ObjectStore;
  /** The fenced record. */
  key: string;
  /** The worker's timers and randomness. */
  timers: Timers;
  random: () => number;
  /** Told of every write about to be sent. */
  observer: FencedWriteObserver;
  /** Planted flaws (tests only). */
  flaws?: LeaderWorkFlaws;
}

/** Polled leader work: what it believes, for the single-leader check. */
export interface PolledLeaderWork {
  /** Whether this work believes it leads right now (its check says so). */
  readonly believesItLeads: boolean;
}

/**
 * Leader work on a timer, as application code written against the coordinator would run it:
 * every 50–500 ms, if it leads (by `isLeader`, or by the signal it was handed when it began
 * leading), one fenced write. A fence that meets a higher epoch asks the source to move past it.
 */
export function startPolledLeaderWork(options: PolledLeaderWorkOptions): PolledLeaderWork {
  const { source, timers, random } = options;
  const flaws = options.flaws ?? {};
  const fence = new EpochFence((epoch, highest) => new SimulatedStaleEpochError(epoch, highest));
  let held: { signal: AbortSignal; epoch: number } | undefined;

  const leads = (): { signal: AbortSignal | undefined; epoch: number } | undefined => {
    if (options.check === 'is-leader') return source.isLeader ? { signal: undefined, epoch: source.getEpoch() } : undefined;
    if (held !== undefined && !held.signal.aborted) return held;
    const signal = source.leadershipSignal();
    held = signal === undefined || signal.aborted ? undefined : { signal, epoch: source.getEpoch() };
    return held;
  };

  const tick = async (): Promise<void> => {
    const leadership = leads();
    if (leadership === undefined) return;
    const stillLeads = (): boolean => (options.check === 'is-leader' ? source.isLeader && source.getEpoch() === leadership.epoch : leadership.signal?.aborted === false);
    try {
      await runFencedWrite({ ...options, workerId: source.workerId, epoch: leadership.epoch, fence, flaws, stillLeads, signal: leadership.signal });
    } catch (error) {
      if (error instanceof SimulatedStaleEpochError && error.highestEpoch > leadership.epoch && flaws.ignoresHigherEpoch !== true && stillLeads()) {
        source.requestEpochAbove?.(error.highestEpoch);
      }
      // Anything else (a lost race, an unknown outcome, an abort) is retried by the next tick.
    }
  };

  const schedule = (): void => {
    timers.setTimeout(() => void tick().finally(schedule), 200 + random() * 800);
  };
  schedule();
  return {
    get believesItLeads() {
      if (options.check === 'is-leader') return source.isLeader;
      return held !== undefined && !held.signal.aborted;
    },
  };
}

/** Options of {@link createSimulatedPlugin}. */
export interface SimulatedPluginOptions {
  /** The plugin's name. */
  name: string;
  /** The worker's own store client. */
  store: ObjectStore;
  /** The fenced record. */
  key: string;
  timers: Timers;
  random: () => number;
  /** Told of every write about to be sent. */
  observer: FencedWriteObserver;
  /** Called whenever the plugin is told it leads (a change with `isLeader`), with its source. */
  onLeads?: (leadership: { source: LeadershipSource; epoch: number }) => void;
  /** Planted flaws (tests only). */
  flaws?: LeaderWorkFlaws;
}

/** A simulated plugin: its leader work runs by the real {@link LeaderWorkRunner}. */
export interface SimulatedPlugin {
  /** The plugin, to subscribe to a coordinator. */
  readonly plugin: CoordinatedPlugin;
  /** Wires the plugin to where its leadership comes from (`coordinator.leadershipOf(name)`), after subscribing. */
  bind(source: LeadershipSource): void;
  /** Whether its leader work believes it leads right now. */
  readonly believesItLeads: boolean;
}

/**
 * A plugin whose leader work is fenced writes, run as the queue and TTL plugins run theirs: by a
 * {@link LeaderWorkRunner} fed every leadership change, on the source the coordinator names
 * (the plugin's own lease in global mode, its own election in per-plugin mode).
 */
export function createSimulatedPlugin(options: SimulatedPluginOptions): SimulatedPlugin {
  const flaws = options.flaws ?? {};
  const fence = new EpochFence((epoch, highest) => new SimulatedStaleEpochError(epoch, highest));
  let source: LeadershipSource | undefined;
  let runner: LeaderWorkRunner | undefined;
  const plugin: CoordinatedPlugin = {
    name: options.name,
    onGlobalLeaderChange(change) {
      if (source === undefined || runner === undefined) return;
      if (change.isLeader) options.onLeads?.({ source, epoch: change.epoch });
      runner.onLeadershipChange(change);
    },
    async stopLeaderWork({ signal }) {
      await runner?.stop({ signal });
    },
  };
  return {
    plugin,
    bind(leadership) {
      source = leadership;
      const bound = leadership;
      runner = new LeaderWorkRunner(bound, {
        name: options.name,
        intervalMs: 500,
        timers: options.timers,
        run: async ({ epoch, signal }) => {
          try {
            await runFencedWrite({ ...options, workerId: bound.workerId, epoch, fence, flaws, stillLeads: () => !signal.aborted, signal });
          } catch (error) {
            // The runner moves the term past a higher epoch; a planted flaw hides it from the runner.
            if (error instanceof SimulatedStaleEpochError && flaws.ignoresHigherEpoch !== true) throw error;
          }
        },
      });
    },
    get believesItLeads() {
      return runner?.activeEpoch !== undefined;
    },
  };
}

function sleep(timers: Timers, milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = timers.setTimeout(done, milliseconds);
    function done(): void {
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
