import { PluginLeadership, type Hub, type HubPlugin, type PluginCoordination } from '@baton/coordinator-core';
import type { CoordinationMode, LeaderWorkContext, LeadershipChange } from '@baton/plugin';
import type { EnqueueOptions } from './job-options';
import type { JsonValue } from './json-value';
import type { JobHandler, ProcessOptions, Processor } from './processor';
import { Queue, type EnqueueItem, type JobInfo, type QueueStats } from './queue';
import type { QueueEventName, QueueEvents } from './queue-events';
import type { QueueOptions } from './queue-options';

/** Options for {@link QueuePlugin}: the queue's own options, minus the store (the hub's is used). */
export interface QueuePluginOptions extends Omit<QueueOptions, 'store' | 'logger'> {
  /** The plugin's name among the hub's plugins. Default `queue` (one queue per hub), else `queue-<name>`. */
  pluginName?: string;
  /** The coordinator namespace whose leader runs the queue's leader duties. Default `default`. */
  namespace?: string;
  /** `global` (default, with per-plugin fallback) or `per-plugin`. */
  coordinationMode?: CoordinationMode;
  /** How often the leader runs its duties (recover expired claims, promote due jobs). Default: ¼ of the visibility timeout. */
  leaderDutyIntervalMs?: number;
  /** How often the leader purges finished jobs past retention. Default 60 s. */
  purgeIntervalMs?: number;
}

/**
 * The durable queue as a hub plugin: `await hub.usePlugin(new QueuePlugin({ name: 'emails' }))`.
 * Every process enqueues and processes; only the namespace's leader runs the queue's leader-only
 * duties (recovering claims of crashed workers, promoting due delayed jobs, purging finished
 * jobs), fenced by its epoch and stopped the moment it stops leading.
 */
export class QueuePlugin implements HubPlugin {
  /** The plugin's name (see `pluginName`). */
  readonly name: string;
  /** The namespace it follows. */
  readonly namespace: string;
  /** The coordination it asks for. */
  readonly coordinationMode: CoordinationMode;

  readonly #options: QueuePluginOptions;
  #queue: Queue | undefined;
  #leadership: PluginLeadership | undefined;
  #lastPurgeAt: number | undefined;

  constructor(options: QueuePluginOptions = {}) {
    this.#options = options;
    this.name = options.pluginName ?? defaultQueuePluginName(options.name ?? 'default');
    this.namespace = options.namespace ?? 'default';
    this.coordinationMode = options.coordinationMode ?? 'global';
  }

  /** The queue, once installed. */
  get queue(): Queue {
    if (this.#queue === undefined) throw new Error(`${this.name}: install it first (await hub.usePlugin(plugin))`);
    return this.#queue;
  }

  /** How this plugin gets its leadership (global, or per-plugin and why), once installed. */
  get coordination(): PluginCoordination | undefined {
    return this.#leadership?.coordination;
  }

  /** Called by `hub.usePlugin`: creates the queue on the hub's store and joins the election. */
  async install(hub: Hub): Promise<void> {
    const { pluginName: _pluginName, namespace: _namespace, coordinationMode: _mode, leaderDutyIntervalMs, purgeIntervalMs: _purge, ...queueOptions } = this.#options;
    const queue = new Queue({ ...queueOptions, store: hub.client, logger: hub.logger });
    this.#queue = queue;
    const leadership = new PluginLeadership(this, {
      intervalMs: leaderDutyIntervalMs ?? Math.max(100, Math.floor(queue.options.visibilityTimeoutMs / 4)),
      timers: queue.options.environment.timers,
      run: (context) => this.#leaderDuties(context),
    });
    this.#leadership = leadership;
    await leadership.start(hub);
  }

  /** Called by `hub.disconnect`: stops leader duties and processing, leaving the queue consistent. */
  async uninstall(): Promise<void> {
    await this.#leadership?.stop();
    await this.#queue?.close();
  }

  /** See {@link CoordinatedPlugin.onGlobalLeaderChange}. */
  onGlobalLeaderChange(change: LeadershipChange): void {
    this.#leadership?.onLeadershipChange(change);
  }

  /** See {@link CoordinatedPlugin.stopLeaderWork}. */
  async stopLeaderWork({ signal }: { signal: AbortSignal }): Promise<void> {
    await this.#leadership?.stopLeaderWork(signal);
  }

  /** See {@link Queue.enqueue}. */
  enqueue(data: unknown, options?: EnqueueOptions): Promise<string> {
    return this.queue.enqueue(data, options);
  }

  /** See {@link Queue.enqueueMany}. */
  enqueueMany(items: readonly EnqueueItem[], signal?: AbortSignal): Promise<string[]> {
    return this.queue.enqueueMany(items, signal);
  }

  /** See {@link Queue.process}. */
  process<Data = JsonValue>(handler: JobHandler<Data>, options?: ProcessOptions): Processor {
    return this.queue.process(handler, options);
  }

  /** See {@link Queue.getJob}. */
  getJob(id: string, signal?: AbortSignal): Promise<JobInfo | undefined> {
    return this.queue.getJob(id, signal);
  }

  /** See {@link Queue.stats}. */
  stats(options?: { exact?: boolean; signal?: AbortSignal }): Promise<QueueStats> {
    return this.queue.stats(options);
  }

  /** See {@link Queue.redrive}. */
  redrive(options?: { ids?: readonly string[]; signal?: AbortSignal }): Promise<string[]> {
    return this.queue.redrive(options);
  }

  /** See {@link Queue.on}. */
  on<Name extends QueueEventName>(name: Name, listener: (payload: QueueEvents[Name]) => void): () => void {
    return this.queue.on(name, listener);
  }

  async #leaderDuties({ epoch, signal }: LeaderWorkContext): Promise<void> {
    const queue = this.queue;
    // Each duty runs even when another failed (recovery must not wait on promotion); the failures
    // are reported together afterwards.
    const failures: unknown[] = [];
    const run = async (duty: () => Promise<unknown>): Promise<void> => {
      try {
        await duty();
      } catch (error) {
        failures.push(error);
      }
    };
    await run(() => queue.promoteDueJobs({ epoch, signal }));
    await run(() => queue.recoverExpiredClaims({ epoch, signal }));
    const now = queue.options.environment.clock.monotonicNow();
    if (this.#lastPurgeAt === undefined || now - this.#lastPurgeAt >= (this.#options.purgeIntervalMs ?? 60_000)) {
      this.#lastPurgeAt = now;
      await run(() => queue.purgeFinished({ epoch, signal }));
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} queue leader duties failed`);
  }
}

/**
 * The hub plugin name of queue `name` when no `pluginName` is given: `queue` for the `default`
 * queue, else `queue-<name>` (its own election, in per-plugin mode, is at `plg_<that>/coordinator/`).
 */
export function defaultQueuePluginName(name: string): string {
  return name === 'default' ? 'queue' : `queue-${name}`;
}
