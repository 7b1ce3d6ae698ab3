import type { ResourceSample } from '../resource-sampler';
import type { Finding } from '../report';
import { finding, NEEDS_IN_PROCESS, type Check } from './check';

/**
 * Guide section 7: listener, timer and heap trends over the window's samples, listeners above
 * Node's leak warning, and stopped coordinators that still hold timers, listeners or plugins.
 */
export const resourceGrowthCheck: Check = {
  id: 'resource-growth',
  title: 'Memory and handle growth',
  guideSection: '7. High Memory Usage',
  run(evidence) {
    const inProcess = evidence.inProcess;
    if (inProcess === undefined) return { skipped: NEEDS_IN_PROCESS };
    const findings: Finding[] = [];
    const series = evidence.samples.flatMap((sample) => (sample.resources === undefined ? [] : [sample.resources]));
    if (series.length >= 3) {
      const growing = (values: number[]): boolean => {
        const first = values[0] ?? 0;
        const last = values.at(-1) ?? 0;
        const rises = values.slice(1).filter((value, index) => value > (values[index] ?? 0)).length;
        const falls = values.slice(1).filter((value, index) => value < (values[index] ?? 0)).length;
        return last > first && falls === 0 && rises >= Math.ceil((values.length - 1) / 2);
      };
      const listeners = series.map((sample) => sample.totalListeners);
      if (growing(listeners)) {
        findings.push(
          finding(
            'resource-growth',
            'listeners-growing',
            'warning',
            `Listeners on the coordinator grew from ${listeners[0]} to ${listeners.at(-1)} during the window and never fell: an event listener leak`,
            { listeners, byEvent: series.at(-1)?.listeners },
            "Remove listeners you add per request or per job (coordinator.off), or add them once at start-up; on shutdown the hub's disconnect() removes all",
          ),
        );
      }
      const timers = series.map((sample) => sample.activeTimers);
      if (growing(timers) && (timers.at(-1) ?? 0) - (timers[0] ?? 0) >= 10) {
        findings.push(
          finding(
            'resource-growth',
            'timers-growing',
            'warning',
            `Active timers in this process grew from ${timers[0]} to ${timers.at(-1)} and never fell: timers are created and not cleared`,
            { activeTimers: timers },
            'Clear timers on stop; stop coordinators with hub.disconnect() (the clean shutdown sequence)',
          ),
        );
      }
      const heap = series.map((sample) => sample.heapUsedBytes);
      const heapGrowth = (heap.at(-1) ?? 0) - (heap[0] ?? 0);
      const heapRises = heap.slice(1).filter((value, index) => value > (heap[index] ?? 0)).length;
      if (heapGrowth >= evidence.thresholds.heapGrowthBytes && heapRises >= Math.ceil((heap.length - 1) * 0.75)) {
        findings.push(
          finding(
            'resource-growth',
            'heap-growing',
            'warning',
            `Heap grew by ${mebibytes(heapGrowth)} MiB over ${Math.round(evidence.window.durationMs)} ms and rose at nearly every sample`,
            { heapUsedMiB: heap.map(mebibytes), rssMiB: series.map((sample: ResourceSample) => mebibytes(sample.rssBytes)) },
            'Take heap snapshots (node --inspect) to find what is retained; check for listener and subscription leaks; run `baton doctor` with a longer --window to confirm',
          ),
        );
      }
    }
    const last = series.at(-1);
    if (last !== undefined) {
      const crowded = Object.entries(last.listeners).filter(([, count]) => count > evidence.thresholds.maxListenersPerEvent);
      if (crowded.length > 0) {
        findings.push(
          finding(
            'resource-growth',
            'too-many-listeners',
            'warning',
            `More than ${evidence.thresholds.maxListenersPerEvent} listeners on ${crowded.map(([event]) => `'${event}'`).join(', ')}: Node reports this as a possible leak`,
            { listeners: Object.fromEntries(crowded) },
            'Add each listener once; remove per-use listeners with coordinator.off()',
          ),
        );
      }
    }
    for (const { scope, name, coordinator } of inProcess.started) {
      if (coordinator.isRunning) continue;
      const held = {
        heartbeatTimer: coordinator.heartbeatTimer !== null,
        electionTimer: coordinator.electionTimer !== null,
        listeners: coordinator.eventNames().reduce((total, event) => total + coordinator.listenerCount(event), 0),
        subscribedPlugins: coordinator.subscribedPlugins.size,
      };
      if (!held.heartbeatTimer && !held.electionTimer && held.listeners === 0 && held.subscribedPlugins === 0) continue;
      findings.push(
        finding(
          'resource-growth',
          'stopped-not-cleaned',
          'warning',
          `The stopped ${scope} coordinator ${name} still holds ${describeHeld(held)}`,
          { scope, name, ...held },
          'Shut down with hub.disconnect() (stop, clear subscriptions, remove listeners), or after coordinator.stop() call coordinator.subscribedPlugins.clear() and coordinator.removeAllListeners()',
        ),
      );
    }
    return findings;
  },
};

function mebibytes(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

function describeHeld(held: { heartbeatTimer: boolean; electionTimer: boolean; listeners: number; subscribedPlugins: number }): string {
  const parts: string[] = [];
  if (held.heartbeatTimer || held.electionTimer) parts.push('armed timers');
  if (held.listeners > 0) parts.push(`${held.listeners} listener(s)`);
  if (held.subscribedPlugins > 0) parts.push(`${held.subscribedPlugins} subscribed plugin(s)`);
  return parts.join(', ');
}
