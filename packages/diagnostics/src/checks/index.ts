import type { Check } from './check';
import { clockSkewCheck } from './clock-skew';
import { conditionalWritesCheck } from './conditional-writes';
import { coordinationFallbackCheck } from './coordination-fallback';
import { epochDomainCheck } from './epoch-domain';
import { handEditsCheck } from './hand-edits';
import { keyCollisionsCheck } from './key-collisions';
import { leadershipTransferCheck } from './leadership-transfer';
import { metricsProgressCheck } from './metrics-progress';
import { multipleLeadersCheck } from './multiple-leaders';
import { pluginSubscriptionsCheck } from './plugin-subscriptions';
import { rapidLeaderChangesCheck } from './rapid-leader-changes';
import { resourceGrowthCheck } from './resource-growth';
import { serviceStartCheck } from './service-start';
import { storageLatencyCheck } from './storage-latency';
import { unreadableObjectsCheck } from './unreadable-objects';
import { workerRegistrationCheck } from './worker-registration';
import { writeReadConsistencyCheck } from './write-read-consistency';

/** Every check, in the order of the guide's sections, then the storage checks, then the stored objects' and the recovery procedures'. */
export const CHECKS: readonly Check[] = [
  serviceStartCheck,
  multipleLeadersCheck,
  rapidLeaderChangesCheck,
  workerRegistrationCheck,
  pluginSubscriptionsCheck,
  coordinationFallbackCheck,
  resourceGrowthCheck,
  leadershipTransferCheck,
  metricsProgressCheck,
  keyCollisionsCheck,
  clockSkewCheck,
  storageLatencyCheck,
  conditionalWritesCheck,
  writeReadConsistencyCheck,
  epochDomainCheck,
  unreadableObjectsCheck,
  handEditsCheck,
];

export type { Check } from './check';
