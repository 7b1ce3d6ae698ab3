import { hostname } from 'node:os';
import { consoleLogger, silentLogger, systemEnvironment, type CoordinatedPlugin, type CoordinationMode, type CoordinatorEnvironment, type LeadershipSource, type Logger } from '@baton/plugin';
import { createStore, isStorageError, probeStorage, retryIdempotent, type CreateStoreOptions, type ObjectStore, type ProbeReport } from '@baton/storage';
import { CoordinatorConfigError, rejectUnknownOptions, resolveCoordinatorConfig, type CoordinatorConfig, type GlobalCoordinatorOptions } from './config';
import { GlobalCoordinator } from './global-coordinator';
import { HubClient } from './hub-client';
import { assertValidNamespace, InvalidNamespaceError, namespaceKeys, pluginElectionKeys } from './storage-keys';

/** Options for {@link connect}. */
export interface ConnectOptions {
  /** The guide's `globalCoordinator` block: heartbeat, lease and worker timeouts, diagnostics. */
  globalCoordinator?: GlobalCoordinatorOptions;
  /** A pino-shaped logger. Default: silent, or the console when `diagnosticsEnabled`. */
  logger?: Logger;
  /** Clocks, timers and randomness (for the simulator and tests). Default: the real ones. */
  environment?: Partial<CoordinatorEnvironment>;
  /** Options for opening a connection string (see `createStore`). */
  store?: CreateStoreOptions;
}

/**
 * How many times {@link Hub.coordinate} tries to start a namespace's coordinator when it fails
 * transiently, before a plugin falls back to per-plugin mode: the waits between are about ⅛, ¼
 * and ½ of `leaseTimeout`, so a blip shorter than a lease never splits the fleet's modes.
 */
export const GLOBAL_START_ATTEMPTS = 4;

/** Every option name {@link connect} accepts. */
const CONNECT_OPTION_NAMES: readonly (keyof ConnectOptions)[] = ['globalCoordinator', 'logger', 'environment', 'store'];

/**
 * A plugin installed on a hub with `usePlugin`. Plugins with their own set-up implement
 * `install`; a plain {@link CoordinatedPlugin} is subscribed to its namespace's coordinator.
 */
export interface HubPlugin extends CoordinatedPlugin {
  /** The coordinator namespace to follow. Default `default`. */
  readonly namespace?: string;
  /** Sets the plugin up on the hub (subscribe, start workers, ...). */
  install?(hub: Hub): Promise<void> | void;
  /** Undoes `install`; called by `disconnect()`. */
  uninstall?(): Promise<void> | void;
}

/** How a plugin gets its leadership (see {@link Hub.coordinate}). */
export interface PluginCoordination {
  /** `global`: the namespace's shared coordinator. `per-plugin`: the plugin's own election. */
  mode: CoordinationMode;
  /** The namespace the plugin follows. */
  namespace: string;
  /** The coordinator it is subscribed to. */
  coordinator: GlobalCoordinator;
  /**
   * Where its leadership comes from: in global mode, the plugin's own lease held by the global
   * leader (so per-plugin hubs elsewhere compete for the same record); per-plugin, the coordinator.
   */
  leadership: LeadershipSource;
  /** Why it runs per-plugin although it asked for global (the global coordinator's error). */
  fallbackReason?: string;
}

/** A coordinator a hub has started (see {@link Hub.startedCoordinators}). */
export interface StartedCoordinator {
  /** `global`: a namespace's shared coordinator. `per-plugin`: a plugin's own election. */
  scope: CoordinationMode;
  /** The namespace (global) or the plugin's name (per-plugin). */
  name: string;
  /** The running (or stopped, if it was stopped by hand) coordinator. */
  coordinator: GlobalCoordinator;
}

/**
 * Opens a store and returns the hub: the guide's `database`. Coordinators and plugins hang off it.
 *
 * ```ts
 * const hub = await connect('file://./.baton-data', { globalCoordinator: { diagnosticsEnabled: true } });
 * const coordinator = await hub.getGlobalCoordinator('default');
 * coordinator.on('leader:changed', (event) => console.log(event.newLeader));
 * ```
 *
 * @throws {StoreConfigurationError} for a bad connection string.
 * @throws {CoordinatorConfigError} for options that break a rule (the error names the field).
 */
export async function connect(target: string | ObjectStore, options: ConnectOptions = {}): Promise<Hub> {
  rejectUnknownOptions(options, CONNECT_OPTION_NAMES, '');
  const config = resolveCoordinatorConfig(options.globalCoordinator);
  const store = typeof target === 'string' ? await createStore(target, options.store) : target;
  return new Hub(store, config, options);
}

/** The hub: one store, one coordinator per namespace, and the installed plugins. */
export class Hub {
  /** The store, with the guide's `getObject` / `putObject` / `delete` calls. */
  readonly client: HubClient;
  /** The S3 bucket, or the store's description for other backends. */
  readonly bucket: string;
  /** The prefix every key is stored under (S3), or `''`. */
  readonly keyPrefix: string;
  /** The coordinator configuration every namespace uses. */
  readonly config: CoordinatorConfig;
  /** Installed plugins, by name. */
  readonly plugins = new Map<string, HubPlugin>();
  /** How each coordinated plugin gets its leadership (global, or per-plugin and why). */
  readonly coordination = new Map<string, PluginCoordination>();

  readonly #logger: Logger;
  readonly #environment: CoordinatorEnvironment;
  readonly #coordinators = new Map<string, Promise<GlobalCoordinator>>();
  readonly #probes = new Map<string, Promise<ProbeReport>>();
  readonly #pluginCoordinators = new Map<string, Promise<GlobalCoordinator>>();
  /** Aborted by `disconnect()`: ends the waits between start attempts at once. */
  readonly #disconnecting = new AbortController();
  #connected = true;

  constructor(store: ObjectStore, config: CoordinatorConfig, options: Omit<ConnectOptions, 'globalCoordinator' | 'store'> = {}) {
    this.client = new HubClient(store);
    const { bucket, prefix } = store as { bucket?: unknown; prefix?: unknown };
    this.bucket = typeof bucket === 'string' ? bucket : store.description;
    this.keyPrefix = typeof prefix === 'string' ? prefix : '';
    this.config = config;
    this.#logger = options.logger ?? (config.diagnosticsEnabled ? consoleLogger : silentLogger);
    this.#environment = { ...systemEnvironment, ...options.environment };
  }

  /** Whether `disconnect()` has not been called. */
  isConnected(): boolean {
    return this.#connected;
  }

  /** The hub's logger (plugins log through it). */
  get logger(): Logger {
    return this.#logger;
  }

  /**
   * The started coordinator of `namespace`: one per namespace per hub. A failed start is not
   * remembered, so a later call tries again.
   */
  getGlobalCoordinator(namespace = 'default'): Promise<GlobalCoordinator> {
    this.#assertConnected('getGlobalCoordinator');
    assertValidNamespace(namespace);
    let coordinator = this.#coordinators.get(namespace);
    if (coordinator === undefined) {
      coordinator = this.#startCoordinator(namespace);
      this.#coordinators.set(namespace, coordinator);
      coordinator.catch(() => this.#coordinators.delete(namespace));
    }
    return coordinator;
  }

  /**
   * The coordinators this hub has started so far, global ones first. Never starts one (unlike
   * {@link getGlobalCoordinator}): diagnostics use it to look at a process without joining the
   * election. Coordinators still starting are waited for; failed starts are left out.
   */
  async startedCoordinators(): Promise<StartedCoordinator[]> {
    const entries = [
      ...[...this.#coordinators].map(([name, coordinator]) => ({ scope: 'global' as const, name, coordinator })),
      ...[...this.#pluginCoordinators].map(([name, coordinator]) => ({ scope: 'per-plugin' as const, name, coordinator })),
    ];
    const settled = await Promise.allSettled(entries.map((entry) => entry.coordinator));
    return entries.flatMap((entry, index) => {
      const result = settled[index];
      return result?.status === 'fulfilled' ? [{ scope: entry.scope, name: entry.name, coordinator: result.value }] : [];
    });
  }

  /** Installs a plugin: runs its `install`, or subscribes it to its namespace's coordinator. */
  async usePlugin(plugin: HubPlugin): Promise<void> {
    this.#assertConnected('usePlugin');
    if (this.plugins.has(plugin.name)) throw new Error(`A plugin named ${JSON.stringify(plugin.name)} is already installed`);
    if (plugin.install !== undefined) {
      await plugin.install(this);
    } else {
      await this.coordinate(plugin);
    }
    this.plugins.set(plugin.name, plugin);
  }

  /**
   * Stops everything: uninstalls plugins, stops every coordinator (releasing leases), and clears
   * their subscriptions, listeners and timers. Safe to call more than once.
   */
  async disconnect(): Promise<void> {
    if (!this.#connected) return;
    this.#connected = false;
    this.#disconnecting.abort(new DOMException('disconnect() was called while a plugin waited to retry the start of its global coordinator', 'AbortError'));
    for (const plugin of [...this.plugins.values()].reverse()) {
      try {
        await plugin.uninstall?.();
      } catch (error) {
        this.#logger.warn({ plugin: plugin.name, error }, `[coordinator:global] Plugin ${plugin.name} failed to uninstall: ${String(error)}`);
      }
    }
    this.plugins.clear();
    const started = await Promise.allSettled([...this.#coordinators.values(), ...this.#pluginCoordinators.values()]);
    this.#coordinators.clear();
    this.#pluginCoordinators.clear();
    this.coordination.clear();
    for (const result of started) {
      if (result.status !== 'fulfilled') continue;
      const coordinator = result.value;
      await coordinator.stop();
      coordinator.subscribedPlugins.clear();
      coordinator.removeAllListeners();
    }
  }

  /** Disconnects (for `await using` where available). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.disconnect();
  }

  /**
   * Gives a plugin its leadership: the namespace's global coordinator, or — when the plugin asks
   * for `per-plugin`, or the global coordinator cannot be obtained (e.g. its keys are not
   * writable) — an election of its own under `plg_<plugin>/coordinator/`, with the guide's log
   * lines. Subscribes the plugin, and records the mode in effect in {@link coordination}.
   *
   * A transient start error (the store unavailable or throttling, a probe that could not finish)
   * is retried up to {@link GLOBAL_START_ATTEMPTS} times, after about ⅛, ¼ and ½ of
   * `leaseTimeout` (each logged as a warning), before falling back; any other error (access
   * denied, a missing bucket) falls back at once.
   *
   * @throws {UnsafeStoreError} when the store ignores conditional writes: no mode is safe then.
   * @throws the disconnect's reason when `disconnect()` is called while it waits to retry.
   */
  async coordinate(plugin: HubPlugin): Promise<PluginCoordination> {
    this.#assertConnected('coordinate');
    const namespace = plugin.namespace ?? 'default';
    const label = `[${plugin.constructor.name === 'Object' ? plugin.name : plugin.constructor.name}]`;
    let coordination: Omit<PluginCoordination, 'leadership'>;
    if ((plugin.coordinationMode ?? 'global') === 'per-plugin') {
      coordination = { mode: 'per-plugin', namespace, coordinator: await this.#pluginCoordinator(plugin.name) };
    } else {
      try {
        coordination = { mode: 'global', namespace, coordinator: await this.#startGlobalCoordinator(namespace, plugin.name, label) };
        this.#logger.info({ plugin: plugin.name, namespace }, `${label} Global coordination initialized for namespace '${namespace}'`);
      } catch (error) {
        if (this.#disconnecting.signal.aborted) throw error;
        if (isStorageError(error, 'UNSAFE_STORE') || error instanceof CoordinatorConfigError || error instanceof InvalidNamespaceError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        this.#logger.warn({ plugin: plugin.name, error }, `${label} Failed to initialize global coordination: ${reason}`);
        this.#logger.warn({ plugin: plugin.name }, `${label} Global coordinator unavailable, falling back to per-plugin mode`);
        coordination = { mode: 'per-plugin', namespace, coordinator: await this.#pluginCoordinator(plugin.name), fallbackReason: reason };
      }
    }
    // In global mode the global leader also holds the plugin's own lease (the default of a
    // coordinator given pluginLeaseKeys): whichever mode other hubs are in (configured
    // per-plugin, or fallen back), one record decides who leads it.
    coordination.coordinator.subscribePlugin(plugin);
    const coordinated: PluginCoordination = { ...coordination, leadership: coordination.coordinator.leadershipOf(plugin.name) };
    this.coordination.set(plugin.name, coordinated);
    return coordinated;
  }

  /** {@link getGlobalCoordinator}, tried again while its start fails transiently (see {@link coordinate}). */
  #startGlobalCoordinator(namespace: string, pluginName: string, label: string): Promise<GlobalCoordinator> {
    const leaseTimeout = this.config.leaseTimeout;
    return retryIdempotent({
      attempt: () => this.getGlobalCoordinator(namespace),
      maxAttempts: GLOBAL_START_ATTEMPTS,
      // Equal jitter: the n-th wait is between ½ and 1 × leaseTimeout·2^(n-1)/8, so hubs that failed together spread out.
      baseDelayMs: leaseTimeout / 8,
      maxDelayMs: leaseTimeout / 2,
      signal: this.#disconnecting.signal,
      random: this.#environment.random,
      timers: this.#environment.timers,
      onRetry: ({ error, attemptNumber, maxAttempts, delayMs }) => {
        const reason = error instanceof Error ? error.message : String(error);
        this.#logger.warn(
          { plugin: pluginName, namespace, error, attempt: attemptNumber, delayMs: Math.round(delayMs) },
          `${label} Global coordinator start failed transiently (attempt ${attemptNumber} of ${maxAttempts}): ${reason}; retrying in ${Math.round(delayMs)} ms`,
        );
      },
    });
  }

  #pluginCoordinator(pluginName: string): Promise<GlobalCoordinator> {
    let coordinator = this.#pluginCoordinators.get(pluginName);
    if (coordinator === undefined) {
      coordinator = this.#startCoordinator(pluginName, pluginElectionKeys(pluginName), `coordinator:${pluginName}`);
      this.#pluginCoordinators.set(pluginName, coordinator);
      coordinator.catch(() => this.#pluginCoordinators.delete(pluginName));
    }
    return coordinator;
  }

  async #startCoordinator(namespace: string, keys = namespaceKeys(namespace), logScope = 'coordinator:global'): Promise<GlobalCoordinator> {
    // One probe per key root and hub: it writes a few scratch objects where the coordinator will
    // write, so it also tells whether those keys are writable at all.
    const probeRoot = keys.state.slice(0, keys.state.indexOf('/') + 1) + '.probe/';
    const coordinator = new GlobalCoordinator({
      store: this.client.store,
      namespace,
      keys,
      logScope,
      ...(logScope === 'coordinator:global' ? { pluginLeaseKeys: pluginElectionKeys } : {}),
      config: this.config,
      logger: this.#logger,
      environment: this.#environment,
      probe: () => {
        let probe = this.#probes.get(probeRoot);
        if (probe === undefined) {
          probe = probeStorage(this.client.store, { keyPrefix: probeRoot, timers: this.#environment.timers, random: this.#environment.random });
          this.#probes.set(probeRoot, probe);
          // Only a verdict is remembered: a probe that failed (or could not reach the store) is
          // run again by the next start, so a transient error never sticks to the hub.
          const started = probe;
          started.then(
            (report) => {
              if (!report.safe && this.#probes.get(probeRoot) === started) this.#probes.delete(probeRoot);
            },
            () => {
              if (this.#probes.get(probeRoot) === started) this.#probes.delete(probeRoot);
            },
          );
        }
        return probe;
      },
      hostname: hostname(),
      pid: process.pid,
    });
    await coordinator.start();
    return coordinator;
  }

  #assertConnected(operation: string): void {
    if (!this.#connected) throw new Error(`${operation}() was called after disconnect(); connect() again`);
  }
}
