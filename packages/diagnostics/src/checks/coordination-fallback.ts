import type { Finding } from '../report';
import { finding, NEEDS_IN_PROCESS, type Check } from './check';

/** Guide section 6: plugins that asked for global coordination but run their own election. */
export const coordinationFallbackCheck: Check = {
  id: 'coordination-fallback',
  title: 'Fallback to per-plugin mode',
  guideSection: '6. Fallback to Per-Plugin Mode',
  run(evidence) {
    const inProcess = evidence.inProcess;
    if (inProcess === undefined) return { skipped: NEEDS_IN_PROCESS };
    const findings: Finding[] = [];
    for (const [plugin, coordination] of inProcess.coordination) {
      if (coordination.namespace !== evidence.namespace || coordination.mode !== 'per-plugin') continue;
      if (coordination.fallbackReason !== undefined) {
        const reason = coordination.fallbackReason;
        findings.push(
          finding(
            'coordination-fallback',
            'fell-back',
            'warning',
            `Plugin ${plugin} fell back to per-plugin mode: the global coordinator of namespace ${evidence.namespace} was unavailable (${reason})`,
            { plugin, namespace: evidence.namespace, reason, electionKey: coordination.coordinator._getStateKey() },
            /denied|forbidden|permission/i.test(reason)
              ? 'Allow s3:GetObject, s3:PutObject and s3:DeleteObject on plg_coordinator_global/* and s3:ListBucket on that prefix (`baton iam-policy`), then restart'
              : 'Connect the hub before installing plugins and check the store (`baton doctor` without --namespace on the failing store), then restart',
          ),
        );
      } else {
        findings.push(
          finding(
            'coordination-fallback',
            'per-plugin-by-choice',
            'info',
            `Plugin ${plugin} runs its own election (coordinationMode: 'per-plugin'): one more election loop`,
            { plugin, electionKey: coordination.coordinator._getStateKey() },
            "Set coordinationMode: 'global' to share the namespace's coordinator",
          ),
        );
      }
    }
    return findings;
  },
};
