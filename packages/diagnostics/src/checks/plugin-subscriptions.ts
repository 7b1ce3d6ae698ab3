import type { Finding } from '../report';
import { finding, NEEDS_IN_PROCESS, type Check } from './check';

/**
 * Guide section 5: plugins installed on the hub that follow this namespace in global mode but are
 * not subscribed to its coordinator, and subscribed plugins that cannot hear leader changes.
 */
export const pluginSubscriptionsCheck: Check = {
  id: 'plugin-subscriptions',
  title: 'Plugins subscribed',
  guideSection: '5. Plugins Not Subscribed',
  run(evidence) {
    const inProcess = evidence.inProcess;
    if (inProcess === undefined) return { skipped: NEEDS_IN_PROCESS };
    const findings: Finding[] = [];
    const coordinator = inProcess.coordinator;
    const subscribed = new Set(coordinator?.subscribedPlugins.keys() ?? []);
    const coordination = new Map(inProcess.coordination);
    const expectingGlobal = inProcess.plugins.filter(
      (plugin) => (plugin.namespace ?? 'default') === evidence.namespace && (plugin.coordinationMode ?? 'global') === 'global',
    );
    const notSubscribed = expectingGlobal.filter((plugin) => !subscribed.has(plugin.name) && coordination.get(plugin.name)?.mode !== 'per-plugin');
    if (notSubscribed.length > 0) {
      findings.push(
        finding(
          'plugin-subscriptions',
          'not-subscribed',
          'warning',
          `Plugin(s) ${notSubscribed.map((plugin) => plugin.name).join(', ')} use global coordination in namespace ${evidence.namespace} but are not subscribed: they get no leadership notifications`,
          { plugins: notSubscribed.map((plugin) => plugin.name), subscribed: [...subscribed] },
          'Install plugins with hub.usePlugin(plugin) after connect() (their install step must call hub.coordinate(this)), and do not unsubscribe them while they run',
        ),
      );
    }
    if (coordinator !== undefined && subscribed.size === 0 && inProcess.plugins.length > 0) {
      findings.push(
        finding(
          'plugin-subscriptions',
          'none-subscribed',
          'info',
          `No plugin is subscribed to the coordinator of namespace ${evidence.namespace} (Subscribed plugins: [])`,
          { installed: inProcess.plugins.map((plugin) => plugin.name) },
          "Set coordinationMode: 'global' and the same namespace on the plugins that should follow this coordinator",
        ),
      );
    }
    const deaf = [...(coordinator?.subscribedPlugins.values() ?? [])].filter((plugin) => typeof plugin.onGlobalLeaderChange !== 'function');
    if (deaf.length > 0) {
      findings.push(
        finding(
          'plugin-subscriptions',
          'no-callback',
          'info',
          `Subscribed plugin(s) ${deaf.map((plugin) => plugin.name).join(', ')} have no onGlobalLeaderChange: they are not told of leader changes`,
          { plugins: deaf.map((plugin) => plugin.name) },
          'Implement onGlobalLeaderChange (or read coordinator.isLeader before leader-only work)',
        ),
      );
    }
    return findings;
  },
};
