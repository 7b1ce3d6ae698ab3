import { findUnknownOption } from '@baton/plugin';

/**
 * The `globalCoordinator` block of the hub options: the guide's fields plus a few more.
 * All durations are in milliseconds.
 */
export interface GlobalCoordinatorOptions {
  /** How often each worker runs its heartbeat cycle (reads or renews the lease). Default 5000. */
  heartbeatInterval?: number;
  /**
   * How long a follower must observe the *same* lease record, on its own monotonic clock, before
   * it may take the lease over. Bounds crash failover (≤ leaseTimeout + heartbeatInterval). Default 15000.
   */
  leaseTimeout?: number;
  /**
   * How long after the start of its last successful renewal a leader keeps acting as leader.
   * Shorter than `leaseTimeout`, so a leader always stops before anyone can take over, even with
   * late timers or clocks running at slightly different rates. Default ⅔ of `leaseTimeout`.
   */
  renewDeadline?: number;
  /** A worker whose registration has not changed for this long is stale. Default 20000. */
  workerTimeout?: number;
  /** Log the guide's lines (to the console unless a logger is given). Default false. */
  diagnosticsEnabled?: boolean;
  /** How long `stop()` waits for plugins to finish leader work before releasing the lease. Default 5000. */
  pluginStopTimeout?: number;
  /**
   * Start even on a store that does not enforce conditional writes. Two leaders become possible.
   * Logged loudly at every start. Default false.
   */
  allowUnsafeStore?: boolean;
}

/** The options in force, after defaults. */
export interface CoordinatorConfig {
  /** See {@link GlobalCoordinatorOptions.heartbeatInterval}. */
  readonly heartbeatInterval: number;
  /** See {@link GlobalCoordinatorOptions.leaseTimeout}. */
  readonly leaseTimeout: number;
  /** See {@link GlobalCoordinatorOptions.renewDeadline}. */
  readonly renewDeadline: number;
  /** See {@link GlobalCoordinatorOptions.workerTimeout}. */
  readonly workerTimeout: number;
  /** See {@link GlobalCoordinatorOptions.diagnosticsEnabled}. */
  readonly diagnosticsEnabled: boolean;
  /** See {@link GlobalCoordinatorOptions.pluginStopTimeout}. */
  readonly pluginStopTimeout: number;
  /** See {@link GlobalCoordinatorOptions.allowUnsafeStore}. */
  readonly allowUnsafeStore: boolean;
}

/** The defaults, as the guide states them. */
export const DEFAULT_COORDINATOR_CONFIG = {
  heartbeatInterval: 5000,
  leaseTimeout: 15_000,
  workerTimeout: 20_000,
  diagnosticsEnabled: false,
  pluginStopTimeout: 5000,
  allowUnsafeStore: false,
} as const;

/** The smallest share of the lease a leader gives up as safety margin (renewDeadline ≤ 90% of leaseTimeout). */
export const MINIMUM_SAFETY_MARGIN = 0.1;

/** A coordinator option breaks a rule. `field` and `rule` say which; `block` is where it was given. */
export class CoordinatorConfigError extends Error {
  /** `INVALID_COORDINATOR_OPTIONS`, as the queue's and TTL's option errors carry theirs. */
  readonly code = 'INVALID_COORDINATOR_OPTIONS';

  constructor(
    readonly field: string,
    readonly rule: string,
    value: unknown,
    readonly block = 'globalCoordinator',
  ) {
    super(`Invalid ${block === '' ? field : `${block}.${field}`} (${JSON.stringify(value)}): ${rule}`);
    this.name = 'CoordinatorConfigError';
  }
}

/**
 * Applies defaults and checks the rules between the durations.
 *
 * @throws {CoordinatorConfigError} naming the field and the rule it breaks.
 */
export function resolveCoordinatorConfig(options: GlobalCoordinatorOptions = {}): CoordinatorConfig {
  rejectUnknownOptions(options, Object.keys(DEFAULT_COORDINATOR_CONFIG).concat('renewDeadline'), 'globalCoordinator');
  const heartbeatInterval = duration(options, 'heartbeatInterval', DEFAULT_COORDINATOR_CONFIG.heartbeatInterval);
  const leaseTimeout = duration(options, 'leaseTimeout', DEFAULT_COORDINATOR_CONFIG.leaseTimeout);
  const renewDeadline = duration(options, 'renewDeadline', Math.round((leaseTimeout * 2) / 3));
  const workerTimeout = duration(options, 'workerTimeout', DEFAULT_COORDINATOR_CONFIG.workerTimeout);
  const pluginStopTimeout = duration(options, 'pluginStopTimeout', DEFAULT_COORDINATOR_CONFIG.pluginStopTimeout);

  if (heartbeatInterval >= leaseTimeout) {
    throw new CoordinatorConfigError('heartbeatInterval', `must be less than leaseTimeout (${leaseTimeout})`, heartbeatInterval);
  }
  if (renewDeadline > leaseTimeout * (1 - MINIMUM_SAFETY_MARGIN)) {
    throw new CoordinatorConfigError(
      'renewDeadline',
      `must be at most 90% of leaseTimeout (${leaseTimeout}), so a leader stops well before a follower may take over`,
      renewDeadline,
    );
  }
  if (heartbeatInterval >= renewDeadline) {
    throw new CoordinatorConfigError(
      'heartbeatInterval',
      `must be less than the renew deadline (${renewDeadline}, ⅔ of leaseTimeout unless set), or the leader could not renew in time`,
      heartbeatInterval,
    );
  }
  if (workerTimeout < leaseTimeout) {
    throw new CoordinatorConfigError('workerTimeout', `must be at least leaseTimeout (${leaseTimeout}); the guide keeps it about 1.5x`, workerTimeout);
  }
  return {
    heartbeatInterval,
    leaseTimeout,
    renewDeadline,
    workerTimeout,
    pluginStopTimeout,
    diagnosticsEnabled: flag(options, 'diagnosticsEnabled', DEFAULT_COORDINATOR_CONFIG.diagnosticsEnabled),
    allowUnsafeStore: flag(options, 'allowUnsafeStore', DEFAULT_COORDINATOR_CONFIG.allowUnsafeStore),
  };
}

/**
 * Rejects option names outside `known`, so a misspelt option is never silently ignored.
 *
 * @throws {CoordinatorConfigError} naming the unknown key and the nearest valid one.
 */
export function rejectUnknownOptions(options: object, known: readonly string[], block: string): void {
  const unknown = findUnknownOption(options, known);
  if (unknown !== undefined) throw new CoordinatorConfigError(unknown.name, `unknown option; did you mean ${unknown.nearest}?`, unknown.value, block);
}

function duration(options: GlobalCoordinatorOptions, field: keyof GlobalCoordinatorOptions, fallback: number): number {
  const value: unknown = options[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new CoordinatorConfigError(field, 'must be a positive whole number of milliseconds', value);
  }
  return value;
}

function flag(options: GlobalCoordinatorOptions, field: keyof GlobalCoordinatorOptions, fallback: boolean): boolean {
  const value: unknown = options[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new CoordinatorConfigError(field, 'must be true or false', value);
  return value;
}
