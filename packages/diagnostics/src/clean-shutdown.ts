import type { Hub } from '@baton/coordinator-core';
import type { CoordinationMode } from '@baton/plugin';

/** What one coordinator still held after the shutdown. */
export interface ShutdownLeftovers {
  /** Global or per-plugin. */
  scope: CoordinationMode;
  /** The namespace or plugin name. */
  name: string;
  /** Whether it still runs. */
  running: boolean;
  /** Timers still armed. */
  armedTimers: number;
  /** Listeners still attached. */
  listeners: number;
  /** Plugins still subscribed. */
  subscribedPlugins: number;
}

/** What {@link cleanShutdown} did and found. */
export interface ShutdownReport {
  /** True when every coordinator stopped and holds no timer, listener or subscription. */
  clean: boolean;
  /** Each coordinator the hub had started. */
  coordinators: ShutdownLeftovers[];
}

/**
 * The guide's "Clean Shutdown" sequence, checked: stops every coordinator the hub started
 * (plugins finish their leader work, leases are released so followers take over at their next
 * heartbeat), clears subscriptions, listeners and timers (`hub.disconnect()`), then verifies
 * that nothing is left that could keep the process alive or leak.
 */
export async function cleanShutdown(hub: Hub): Promise<ShutdownReport> {
  const started = await hub.startedCoordinators();
  await hub.disconnect();
  const coordinators = started.map(({ scope, name, coordinator }) => ({
    scope,
    name,
    running: coordinator.isRunning,
    armedTimers: (coordinator.heartbeatTimer === null ? 0 : 1) + (coordinator.electionTimer === null ? 0 : 1),
    listeners: coordinator.eventNames().reduce((total, event) => total + coordinator.listenerCount(event), 0),
    subscribedPlugins: coordinator.subscribedPlugins.size,
  }));
  return {
    clean: coordinators.every((entry) => !entry.running && entry.armedTimers === 0 && entry.listeners === 0 && entry.subscribedPlugins === 0),
    coordinators,
  };
}
