import { systemEnvironment, type Timers } from './environment';
import { termBoundSignal, type LeadershipChange, type LeadershipSource } from './leadership';
import { silentLogger, type Logger } from './logger';

/** What leader-only work receives on every run. */
export interface LeaderWorkContext {
  /** The epoch of the term this run belongs to: pass it to fenced writes. */
  epoch: number;
  /**
   * Aborted the moment this process stops leading (lease lost, renew deadline passed, stop),
   * always before another worker can take over: reading `aborted` checks the term on the
   * monotonic clock, so it is never live past the renew deadline, even after an event-loop stall.
   * Check it, or pass it on, before every side effect.
   */
  signal: AbortSignal;
}

/** Options for {@link LeaderWorkRunner}. */
export interface LeaderWorkRunnerOptions {
  /** A name for logs. */
  name: string;
  /** The leader-only work. Called while leading, then again `intervalMs` after each run settles. */
  run: (context: LeaderWorkContext) => Promise<void>;
  /** The pause between two runs. */
  intervalMs: number;
  /** Timers (for the simulator and tests). Default: Node's. */
  timers?: Timers;
  /** Where failures of `run` are logged. Default: silent. */
  logger?: Logger;
}

interface Term {
  epoch: number;
  signal: AbortSignal;
  abort: (reason: unknown) => void;
  settled: Promise<void>;
}

/**
 * Runs leader-only work for exactly as long as this process leads, one term at a time:
 * work starts when a leadership change makes this process leader, receives the term's epoch and
 * a signal that aborts when the term ends, and `stop()` waits for it to settle. Feed it every
 * change from `onGlobalLeaderChange`.
 */
export class LeaderWorkRunner {
  readonly #source: LeadershipSource;
  readonly #options: LeaderWorkRunnerOptions;
  readonly #timers: Timers;
  readonly #logger: Logger;
  #term: Term | undefined;
  #stopped = false;
  /** The last higher epoch the source refused to move past (logged once). */
  #refusedEpoch: number | undefined;

  constructor(source: LeadershipSource, options: LeaderWorkRunnerOptions) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs < 0) {
      throw new RangeError(`LeaderWorkRunner ${options.name}: intervalMs must be 0 or more, got ${String(options.intervalMs)}`);
    }
    this.#source = source;
    this.#options = options;
    this.#timers = options.timers ?? systemEnvironment.timers;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The epoch whose work is running, or `undefined`. */
  get activeEpoch(): number | undefined {
    return this.#term?.signal.aborted === false ? this.#term.epoch : undefined;
  }

  /** Starts or stops work to match a leadership change. */
  onLeadershipChange(change: LeadershipChange): void {
    if (this.#term !== undefined && (!change.isLeader || change.epoch !== this.#term.epoch)) {
      this.#term.abort(new Error(`${this.#options.name}: term ${this.#term.epoch} ended`));
    }
    if (change.isLeader && !this.#stopped && this.activeEpoch !== change.epoch) this.#begin(change.epoch);
  }

  /**
   * Stops for good: aborts running work and waits for it to settle, or until `signal` aborts
   * (the coordinator bounds this wait before it releases the lease).
   */
  async stop(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#stopped = true;
    const term = this.#term;
    if (term === undefined) return;
    term.abort(new Error(`${this.#options.name}: stopped`));
    await waitUnlessAborted(term.settled, options.signal);
  }

  #begin(epoch: number): void {
    const leadership = this.#source.leadershipSignal();
    if (leadership === undefined || leadership.aborted) return; // the change is already stale
    const { signal, abort } = termBoundSignal(
      () => !leadership.aborted && this.#source.isLeader && this.#source.getEpoch() === epoch,
      () => (leadership.aborted ? leadership.reason : new Error(`${this.#options.name}: term ${epoch} ended`)),
    );
    leadership.addEventListener('abort', () => abort(leadership.reason), { once: true });
    const previous = this.#term?.settled ?? Promise.resolve();
    // A new term's work starts only after the old term's work settled: never two at once.
    const settled = previous.then(() => this.#loop(epoch, signal));
    this.#term = { epoch, signal, abort, settled };
  }

  async #loop(epoch: number, signal: AbortSignal): Promise<void> {
    while (isLive(signal)) {
      try {
        await this.#options.run({ epoch, signal });
      } catch (error) {
        if (isLive(signal)) {
          this.#logger.error({ error, epoch }, `[${this.#options.name}] Leader work failed: ${error instanceof Error ? error.message : String(error)}`);
          this.#passHigherEpoch(error, epoch);
        }
      }
      await this.#pause(signal);
    }
  }

  /**
   * A fence refused this live term because a record carries a higher epoch: nobody else leads
   * (this term is live), so epochs were reset or reused. Asks the source for a term above it
   * instead of failing every run from now on.
   */
  #passHigherEpoch(error: unknown, epoch: number): void {
    const higher = highestStaleEpoch(error);
    if (higher === undefined || higher <= epoch || this.#source.requestEpochAbove === undefined) return;
    if (this.#source.requestEpochAbove(higher)) {
      this.#logger.warn(
        { epoch, higherEpoch: higher },
        `[${this.#options.name}] A record carries epoch ${higher}, above this live term's ${epoch} (epochs were reset or reused): moving to a term above it`,
      );
      return;
    }
    if (this.#refusedEpoch === higher) return; // said once: every run meets it again
    this.#refusedEpoch = higher;
    this.#logger.error(
      { epoch, higherEpoch: higher },
      `[${this.#options.name}] A record carries epoch ${higher}, above this live term's ${epoch}, and the term will not move past it (too far above, or already moved in this term): the fence refuses this leader's work until the record carrying that epoch is repaired or removed`,
    );
  }

  #pause(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = (): void => {
        this.#timers.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.#timers.setTimeout(done, this.#options.intervalMs);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * The higher epoch a fence's stale-epoch error reports (`code: 'STALE_EPOCH'` with a numeric
 * `highestEpoch`, as every baton package's `StaleEpochError`), also inside an `AggregateError`.
 */
function highestStaleEpoch(error: unknown): number | undefined {
  if (error instanceof AggregateError) {
    const epochs = error.errors.map(highestStaleEpoch).filter((epoch): epoch is number => epoch !== undefined);
    return epochs.length === 0 ? undefined : Math.max(...epochs);
  }
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, highestEpoch } = error as { code?: unknown; highestEpoch?: unknown };
  return code === 'STALE_EPOCH' && typeof highestEpoch === 'number' && Number.isSafeInteger(highestEpoch) ? highestEpoch : undefined;
}

/** Read through a call so that the check after an await is not narrowed away. */
function isLive(signal: AbortSignal): boolean {
  return !signal.aborted;
}

async function waitUnlessAborted(work: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return work;
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    work.then(done, done);
  });
}
