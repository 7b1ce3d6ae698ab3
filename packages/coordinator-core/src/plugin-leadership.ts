import { LeaderWorkRunner, type LeaderWorkContext, type LeadershipChange, type Timers } from '@baton/plugin';
import type { Hub, HubPlugin, PluginCoordination } from './hub';

/** Options for {@link PluginLeadership}. */
export interface PluginLeadershipOptions {
  /** The leader-only work: run while this process leads, with the term's epoch and signal. */
  run: (context: LeaderWorkContext) => Promise<void>;
  /** The pause between two runs, in ms. */
  intervalMs: number;
  /** Timers (injected in tests and the simulator). Default: Node's. */
  timers?: Timers;
}

/**
 * The wiring every leader-only hub plugin needs, in one place: joins the election through
 * `hub.coordinate` (the global coordinator, or the plugin's own election as a fallback), runs the
 * plugin's duty through {@link LeaderWorkRunner} exactly while this process leads, and passes
 * leadership changes on, including one that arrives while it is still subscribing.
 *
 * ```ts
 * class MyPlugin implements HubPlugin {
 *   readonly name = 'my-plugin';
 *   readonly #leadership = new PluginLeadership(this, { intervalMs: 1000, run: ({ epoch, signal }) => work(epoch, signal) });
 *   install(hub: Hub) { return this.#leadership.start(hub); }
 *   uninstall() { return this.#leadership.stop(); }
 *   onGlobalLeaderChange(change: LeadershipChange) { this.#leadership.onLeadershipChange(change); }
 *   stopLeaderWork({ signal }: { signal: AbortSignal }) { return this.#leadership.stopLeaderWork(signal); }
 * }
 * ```
 */
export class PluginLeadership {
  readonly #plugin: HubPlugin;
  readonly #options: PluginLeadershipOptions;
  #runner: LeaderWorkRunner | undefined;
  #coordination: PluginCoordination | undefined;
  #pendingChange: LeadershipChange | undefined;

  constructor(plugin: HubPlugin, options: PluginLeadershipOptions) {
    this.#plugin = plugin;
    this.#options = options;
  }

  /** How the plugin gets its leadership (global, or per-plugin and why), once started. */
  get coordination(): PluginCoordination | undefined {
    return this.#coordination;
  }

  /** Joins the election and starts running the duty whenever this process leads. */
  async start(hub: Hub): Promise<PluginCoordination> {
    const coordination = await hub.coordinate(this.#plugin);
    this.#coordination = coordination;
    const { run, intervalMs, timers } = this.#options;
    this.#runner = new LeaderWorkRunner(coordination.leadership, { name: this.#plugin.name, run, intervalMs, logger: hub.logger, ...(timers === undefined ? {} : { timers }) });
    // Subscribing tells the plugin the current state at once, before the runner existed.
    if (this.#pendingChange !== undefined) this.#runner.onLeadershipChange(this.#pendingChange);
    return coordination;
  }

  /** Call from the plugin's `onGlobalLeaderChange`. */
  onLeadershipChange(change: LeadershipChange): void {
    if (this.#runner === undefined) this.#pendingChange = change;
    else this.#runner.onLeadershipChange(change);
  }

  /** Call from the plugin's `stopLeaderWork`: stops the duty, waiting for a run in progress within what `signal` allows. */
  async stopLeaderWork(signal?: AbortSignal): Promise<void> {
    await this.#runner?.stop(signal === undefined ? undefined : { signal });
  }

  /** Call from the plugin's `uninstall`: stops the duty and leaves the election. */
  async stop(): Promise<void> {
    await this.#runner?.stop();
    this.#coordination?.coordinator.unsubscribePlugin(this.#plugin.name);
  }
}
