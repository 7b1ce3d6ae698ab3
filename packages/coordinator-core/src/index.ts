export { connect, Hub } from './hub';
export type { ConnectOptions, HubPlugin, PluginCoordination } from './hub';
export { HubClient } from './hub-client';
export type { TextObject } from './hub-client';
export { GlobalCoordinator, LeadershipLostError } from './global-coordinator';
export type { CoordinatorMetrics, GlobalCoordinatorEvents, GlobalCoordinatorDependencies, LeaderChangedEvent } from './global-coordinator';
export { CoordinatorConfigError, DEFAULT_COORDINATOR_CONFIG, resolveCoordinatorConfig } from './config';
export type { CoordinatorConfig, GlobalCoordinatorOptions } from './config';
export { LeaseElection } from './lease-election';
export type { CycleReport, LeaseElectionOptions } from './lease-election';
export { LEASE_RECORD_FORMAT, parseLeaseRecord } from './lease-record';
export type { LeaseRecord, ParsedLeaseRecord } from './lease-record';
export { assertValidNamespace, COORDINATOR_ROOT, InvalidNamespaceError, namespaceKeys, pluginElectionKeys } from './storage-keys';
export type { NamespaceKeys } from './storage-keys';
export type { ActiveWorker, WorkerRecord } from './worker-registry';
export type { StorageMetrics } from './instrumented-store';
// Re-exported so that adopting only the core needs no second import.
export { consoleLogger, silentLogger, systemEnvironment } from '@baton/plugin';
export type { Clock, CoordinatorEnvironment, Logger, LogMethod, TimerHandle, Timers } from '@baton/plugin';
