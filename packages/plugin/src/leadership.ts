/** How a plugin takes part in leader election. */
export type CoordinationMode = 'global' | 'per-plugin';

/**
 * A change of leader in a namespace, as every subscribed plugin receives it.
 * `epoch` is the fencing token of the new term: strictly increasing, never reused.
 */
export interface LeadershipChange {
  /** The coordinator namespace. */
  namespace: string;
  /** The worker that led before, or `null`. */
  previousLeader: string | null;
  /** The worker that leads now, or `null` while nobody does. */
  newLeader: string | null;
  /** The epoch of the current term (0 before any leader was ever elected). */
  epoch: number;
  /** Whether this process is the new leader. */
  isLeader: boolean;
  /** Wall-clock time of the change on this host, in milliseconds (for logs only). */
  timestamp: number;
}

/** What a coordinator offers the plugins subscribed to it. */
export interface LeadershipSource {
  /** The namespace whose leader this is. */
  readonly namespace: string;
  /** This process's worker id. */
  readonly workerId: string;
  /** Whether this process holds the lease *now* (judged on the local monotonic clock). */
  readonly isLeader: boolean;
  /** The epoch of the term this process holds, or of the last term it saw. */
  getEpoch(): number;
  /**
   * While this process leads: a signal aborted the moment it stops leading (lease lost, renew
   * deadline passed, or stop), always before another worker can take over. `undefined` otherwise.
   */
  leadershipSignal(): AbortSignal | undefined;
  /**
   * Asks the leader to move to a term above `epoch`: its leader work met a record written under
   * a higher epoch than the live term's (the namespace was reset, or its epochs were reused), so
   * every fenced run would be refused until the term passes it. Returns whether the request was
   * accepted: a source refuses epochs it does not trust a data record with (absurdly far above
   * the term, a second move in one term). Sources that cannot renumber their terms leave it out.
   */
  requestEpochAbove?(epoch: number): boolean;
}

/**
 * A plugin that relies on a coordinator for leadership. The coordinator calls
 * `onGlobalLeaderChange` on every change, and `stopLeaderWork` before it releases the lease.
 */
export interface CoordinatedPlugin {
  /** Unique name among the plugins of one coordinator (e.g. `queue`, `ttl`). */
  readonly name: string;
  /** `global` (default): share the namespace's coordinator. `per-plugin`: run an own election. */
  readonly coordinationMode?: CoordinationMode;
  /** Called on every leadership change. Errors are logged, never break the coordinator. */
  onGlobalLeaderChange?(change: LeadershipChange): void | Promise<void>;
  /**
   * Called when this process is about to stop leading on purpose (stop, disconnect): finish or
   * abandon leader-only work, within the time the signal allows (it aborts when the wait is over).
   */
  stopLeaderWork?(options: { signal: AbortSignal }): Promise<void>;
}

/**
 * A signal that can never be live past the moment `isLive` turns false: reading `aborted`,
 * `reason` or calling `throwIfAborted()` asks `isLive` first and aborts the signal at once if it
 * says no, so code that resumes after an event-loop stall sees the end of a term before any
 * timer had the chance to fire. `abort` ends it on purpose.
 */
export function termBoundSignal(isLive: () => boolean, endedReason: () => unknown): { signal: AbortSignal; abort: (reason: unknown) => void } {
  const controller = new AbortController();
  const signal = controller.signal;
  const prototype = Object.getPrototypeOf(signal) as AbortSignal;
  const nativeAborted = (): boolean => Reflect.get<AbortSignal, 'aborted'>(prototype, 'aborted', signal);
  const check = (): void => {
    if (!nativeAborted() && !isLive()) controller.abort(endedReason());
  };
  Object.defineProperties(signal, {
    aborted: {
      get: (): boolean => {
        check();
        return nativeAborted();
      },
    },
    reason: {
      get: (): unknown => {
        check();
        return Reflect.get(prototype, 'reason', signal);
      },
    },
    throwIfAborted: {
      value: (): void => {
        check();
        prototype.throwIfAborted.call(signal);
      },
    },
  });
  return { signal, abort: (reason) => controller.abort(reason) };
}
