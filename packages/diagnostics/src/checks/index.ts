import type { Check } from './check';
import { clockSkewCheck } from './clock-skew';
import { conditionalWritesCheck } from './conditional-writes';
import { coordinationFallbackCheck } from './coordination-fallback';
import { keyCollisionsCheck } from './key-collisions';
import { leadershipTransferCheck } from './leadership-transfer';
import { metricsProgressCheck } from './metrics-progress';
import { multipleLeadersCheck } from './multiple-leaders';
import { pluginSubscriptionsCheck } from './plugin-subscriptions';
import { rapidLeaderChangesCheck } from './rapid-leader-changes';
import { resourceGrowthCheck } from './resource-growth';
import { serviceStartCheck } from './service-start';
import { storageLatencyCheck } from './storage-latency';
import { workerRegistrationCheck } from './worker-registration';
import { writeReadConsistencyCheck } from './write-read-consistency';

/** Every check, in the order of the guide's sections, then the storage checks. */
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
];

export type { Check } from './check';
