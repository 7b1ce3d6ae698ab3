import { PluginLeadership, type Hub, type HubPlugin, type PluginCoordination } from '@baton/coordinator-core';
import type { CoordinationMode, LeaderWorkContext, LeadershipChange } from '@baton/plugin';
import type { SweepReport } from './sweeper';
import { TTLCollection, type ExpiryOptions, type TTLEntry } from './ttl-collection';
import type { TTLMetrics } from './ttl-metrics';
import { assertKnownOptionNames, type OptionNames } from './option-names';
import { TTL_COLLECTION_OPTION_NAMES, type TTLCollectionOptions } from './ttl-options';

/** Options for {@link TTLPlugin}: the collection's own options, minus the store (the hub's is used). */
export interface TTLPluginOptions extends Omit<TTLCollectionOptions, 'store' | 'logger'> {
  /** The plugin's name among the hub's plugins. Default `ttl` for the `default` collection, else `ttl-<collection>`. */
  pluginName?: string;
  /** The coordinator namespace whose leader sweeps. Default `default`. */
  namespace?: string;
  /** `global` (default, with per-plugin fallback) or `per-plugin`. */
  coordinationMode?: CoordinationMode;
  /** The pause between two sweeps of the leader, in ms. Default 10000. */
  sweepIntervalMs?: number;
}

const { store: _store, logger: _logger, ...PLUGIN_COLLECTION_OPTION_NAMES } = TTL_COLLECTION_OPTION_NAMES;
const TTL_PLUGIN_OPTION_NAMES = {
  ...PLUGIN_COLLECTION_OPTION_NAMES,
  pluginName: true,
  namespace: true,
  coordinationMode: true,
  sweepIntervalMs: true,
} as const satisfies OptionNames<TTLPluginOptions>;

/**
 * TTL records as a hub plugin: `await hub.usePlugin(new TTLPlugin({ collection: 'sessions' }))`.
 * Every process sets, reads, touches and deletes; only the namespace's leader sweeps, every
 * `sweepIntervalMs`, fenced by its epoch and stopped the moment it stops leading.
 */
export class TTLPlugin implements HubPlugin {
  /** The plugin's name (see `pluginName`). */
  readonly name: string;
  /** The namespace it follows. */
  readonly namespace: string;
  /** The coordination it asks for. */
  readonly coordinationMode: CoordinationMode;

  readonly #options: TTLPluginOptions;
  #collection: TTLCollection | undefined;
  #leadership: PluginLeadership | undefined;
  readonly #sweepListeners = new Set<(report: SweepReport & { epoch: number }) => void>();

  /** @throws {InvalidTTLOptionsError} naming an unknown option. */
  constructor(options: TTLPluginOptions = {}) {
    assertKnownOptionNames(options, TTL_PLUGIN_OPTION_NAMES);
    this.#options = options;
    const collection = options.collection ?? 'default';
    this.name = options.pluginName ?? defaultTTLPluginName(collection);
    this.namespace = options.namespace ?? 'default';
    this.coordinationMode = options.coordinationMode ?? 'global';
  }

  /** The collection, once installed. */
  get collection(): TTLCollection {
    if (this.#collection === undefined) throw new Error(`${this.name}: install it first (await hub.usePlugin(plugin))`);
    return this.#collection;
  }

  /** How this plugin gets its leadership (global, or per-plugin and why), once installed. */
  get coordination(): PluginCoordination | undefined {
    return this.#leadership?.coordination;
  }

  /** Called by `hub.usePlugin`: opens the collection on the hub's store and joins the election. */
  async install(hub: Hub): Promise<void> {
    const { pluginName: _name, namespace: _namespace, coordinationMode: _mode, sweepIntervalMs, ...collectionOptions } = this.#options;
    const collection = new TTLCollection({ ...collectionOptions, store: hub.client, logger: hub.logger });
    this.#collection = collection;
    this.#leadership = new PluginLeadership(this, {
      intervalMs: sweepIntervalMs ?? 10_000,
      timers: collection.options.environment.timers,
      run: (context) => this.#sweep(context),
    });
    await this.#leadership.start(hub);
  }

  /** Called by `hub.disconnect`: stops sweeping. */
  async uninstall(): Promise<void> {
    await this.#leadership?.stop();
  }

  /** See {@link CoordinatedPlugin.onGlobalLeaderChange}. */
  onGlobalLeaderChange(change: LeadershipChange): void {
    this.#leadership?.onLeadershipChange(change);
  }

  /** See {@link CoordinatedPlugin.stopLeaderWork}. */
  async stopLeaderWork({ signal }: { signal: AbortSignal }): Promise<void> {
    await this.#leadership?.stopLeaderWork(signal);
  }

  /** Calls `listener` after every sweep this process runs as leader (returns the unsubscribe). */
  onSweep(listener: (report: SweepReport & { epoch: number }) => void): () => void {
    this.#sweepListeners.add(listener);
    return () => this.#sweepListeners.delete(listener);
  }

  /** See {@link TTLCollection.set}. */
  set(key: string, value: unknown, options?: ExpiryOptions): Promise<TTLEntry> {
    return this.collection.set(key, value, options);
  }

  /** See {@link TTLCollection.get}. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<TTLEntry | undefined> {
    return this.collection.get(key, options);
  }

  /** See {@link TTLCollection.touch}. */
  touch(key: string, options: ExpiryOptions): Promise<boolean> {
    return this.collection.touch(key, options);
  }

  /** See {@link TTLCollection.delete}. */
  delete(key: string, options?: { signal?: AbortSignal }): Promise<boolean> {
    return this.collection.delete(key, options);
  }

  /** See {@link TTLCollection.getMetrics}. */
  getMetrics(): TTLMetrics {
    return this.collection.getMetrics();
  }

  async #sweep({ epoch, signal }: LeaderWorkContext): Promise<void> {
    const report = await this.collection.sweep({ epoch, signal });
    for (const listener of this.#sweepListeners) listener({ ...report, epoch });
  }
}

/**
 * The hub plugin name of TTL collection `collection` when no `pluginName` is given: `ttl` for the
 * `default` collection, else `ttl-<collection>` (its own election, in per-plugin mode, is at
 * `plg_<that>/coordinator/`).
 */
export function defaultTTLPluginName(collection: string): string {
  return collection === 'default' ? 'ttl' : `ttl-${collection}`;
}
