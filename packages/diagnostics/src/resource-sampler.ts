import type { GlobalCoordinator } from '@baton/coordinator-core';

/** Listener counts, timers and memory at one moment (the guide's section 7). */
export interface ResourceSample {
  /** Listeners on the coordinator, by event. */
  listeners: Record<string, number>;
  /** All listeners on the coordinator. */
  totalListeners: number;
  /** Plugins subscribed to it. */
  subscribedPlugins: number;
  /** Active timers of the whole process (`process.getActiveResourcesInfo()`). */
  activeTimers: number;
  /** `process.memoryUsage().heapUsed`, in bytes. */
  heapUsedBytes: number;
  /** `process.memoryUsage().rss`, in bytes. */
  rssBytes: number;
}

/** Takes a {@link ResourceSample} of a coordinator; inject one in tests to script a trend. */
export type ResourceSampler = (coordinator: GlobalCoordinator) => ResourceSample;

/** The real sampler: the coordinator's listeners, the process's timers and memory. */
export const processResourceSampler: ResourceSampler = (coordinator) => {
  const listeners: Record<string, number> = {};
  let totalListeners = 0;
  for (const event of coordinator.eventNames()) {
    const count = coordinator.listenerCount(event);
    listeners[event] = count;
    totalListeners += count;
  }
  const memory = process.memoryUsage();
  return {
    listeners,
    totalListeners,
    subscribedPlugins: coordinator.subscribedPlugins.size,
    activeTimers: process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length,
    heapUsedBytes: memory.heapUsed,
    rssBytes: memory.rss,
  };
};
