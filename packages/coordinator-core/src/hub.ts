import { hostname } from 'node:os';
import { consoleLogger, silentLogger, systemEnvironment, type CoordinatedPlugin, type CoordinatorEnvironment, type Logger } from '@baton/plugin';
import { createStore, probeStorage, type CreateStoreOptions, type ObjectStore, type ProbeReport } from '@baton/storage';
import { resolveCoordinatorConfig, type CoordinatorConfig, type GlobalCoordinatorOptions } from './config';
import { GlobalCoordinator } from './global-coordinator';
import { HubClient } from './hub-client';
import { assertValidNamespace, COORDINATOR_ROOT } from './storage-keys';

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

  readonly #logger: Logger;
  readonly #environment: CoordinatorEnvironment;
  readonly #coordinators = new Map<string, Promise<GlobalCoordinator>>();
  #probe: Promise<ProbeReport> | undefined;
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

  /** Installs a plugin: runs its `install`, or subscribes it to its namespace's coordinator. */
  async usePlugin(plugin: HubPlugin): Promise<void> {
    this.#assertConnected('usePlugin');
    if (this.plugins.has(plugin.name)) throw new Error(`A plugin named ${JSON.stringify(plugin.name)} is already installed`);
    if (plugin.install !== undefined) {
      await plugin.install(this);
    } else {
      const coordinator = await this.getGlobalCoordinator(plugin.namespace ?? 'default');
      coordinator.subscribePlugin(plugin);
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
    for (const plugin of [...this.plugins.values()].reverse()) {
      try {
        await plugin.uninstall?.();
      } catch (error) {
        this.#logger.warn({ plugin: plugin.name, error }, `[coordinator:global] Plugin ${plugin.name} failed to uninstall: ${String(error)}`);
      }
    }
    this.plugins.clear();
    const started = await Promise.allSettled(this.#coordinators.values());
    this.#coordinators.clear();
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

  async #startCoordinator(namespace: string): Promise<GlobalCoordinator> {
    const coordinator = new GlobalCoordinator({
      store: this.client.store,
      namespace,
      config: this.config,
      logger: this.#logger,
      environment: this.#environment,
      // Checked once per hub: the probe writes a few scratch objects under the coordinator root.
      probe: () => (this.#probe ??= probeStorage(this.client.store, { keyPrefix: `${COORDINATOR_ROOT}/.probe/` })),
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
