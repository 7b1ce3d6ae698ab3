/** The folder, under the store's prefix, where every coordinator keeps its records. */
export const COORDINATOR_ROOT = 'plg_coordinator_global';

// Letters, digits, '-', '_' and '.', not starting with '.', at most 64 characters: a namespace is
// one key segment, so it can neither reach another namespace's keys nor leave the root.
const NAMESPACE_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** Raised for a namespace that could collide with another one's keys. */
export class InvalidNamespaceError extends Error {
  constructor(
    readonly namespace: unknown,
    reason = "use 1-64 letters, digits, '-', '_' or '.', not starting with '.' (no '/' or '..')",
  ) {
    super(`Invalid coordinator namespace ${JSON.stringify(namespace)}: ${reason}`);
    this.name = 'InvalidNamespaceError';
  }
}

/** Throws {@link InvalidNamespaceError} unless `namespace` is a safe namespace name. */
export function assertValidNamespace(namespace: unknown): asserts namespace is string {
  if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) throw new InvalidNamespaceError(namespace);
}

/** The key layout of one namespace, exactly as the troubleshooting guide shows it. */
export interface NamespaceKeys {
  /** `plg_coordinator_global/<namespace>/state.json`: the lease. */
  state: string;
  /** `plg_coordinator_global/<namespace>/epoch.json`: the epoch ledger, the durable floor of epochs. */
  epochLedger: string;
  /** `plg_coordinator_global/<namespace>/workers/`: the prefix of worker registrations. */
  workersPrefix: string;
  /** `plg_coordinator_global/<namespace>/workers/<workerId>.json`. */
  worker(workerId: string): string;
  /** The worker id of a registration key, or `undefined` for a key that is not one. */
  workerIdFromKey(key: string): string | undefined;
}

/** The keys of `namespace`. */
export function namespaceKeys(namespace: string): NamespaceKeys {
  assertValidNamespace(namespace);
  return keysUnder(`${COORDINATOR_ROOT}/${namespace}/`);
}

/**
 * The keys of a plugin's own election (per-plugin mode): `plg_<plugin>/coordinator/…`, apart
 * from the global coordinator's, so a plugin can still elect a leader where the global
 * coordinator's keys are out of reach (e.g. not covered by its IAM policy).
 */
export function pluginElectionKeys(pluginName: string): NamespaceKeys {
  assertValidNamespace(pluginName);
  // `plg_coordinator_global/coordinator/…` would be the global namespace `coordinator`'s keys.
  if (`plg_${pluginName}` === COORDINATOR_ROOT) throw new InvalidNamespaceError(pluginName, 'a plugin name that would share the global coordinators\' folder');
  return keysUnder(`plg_${pluginName}/coordinator/`);
}

function keysUnder(base: string): NamespaceKeys {
  return {
    state: `${base}state.json`,
    epochLedger: `${base}epoch.json`,
    workersPrefix: `${base}workers/`,
    worker: (workerId) => `${base}workers/${workerId}.json`,
    workerIdFromKey: (key) => {
      if (!key.startsWith(`${base}workers/`)) return undefined;
      const name = key.slice(`${base}workers/`.length);
      return name.endsWith('.json') && !name.includes('/') ? name.slice(0, -'.json'.length) : undefined;
    },
  };
}
