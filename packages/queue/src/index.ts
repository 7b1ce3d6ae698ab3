export { Queue } from './queue';
export type { EnqueueItem, JobInfo, QueueStats } from './queue';
export { Processor } from './processor';
export type { JobContext, JobHandler, ProcessOptions, StopOptions } from './processor';
export type { EnqueueOptions } from './job-options';
export { MAX_ATTEMPTS_LIMIT, MAX_IDEMPOTENCY_KEY_LENGTH } from './job-options';
export type { QueueOptions } from './queue-options';
export type { QueueEvents, QueueEventName } from './queue-events';
export type { LeaderDutyOptions, PromotionReport, PurgeReport, RecoveryReport } from './leader-duties';
export type { AttemptRecord, JobState, RecordedError } from './job-record';
export { MAX_JOB_DATA_BYTES } from './json-value';
export type { JsonValue } from './json-value';
export { MAX_PRIORITY, queueStoragePrefix } from './queue-keys';
export {
  ClaimLostError,
  CorruptRecordError,
  InvalidJobDataError,
  InvalidJobOptionsError,
  InvalidQueueOptionsError,
  JobDataTooLargeError,
  JobNotFoundError,
  JobTimeoutError,
  ProcessorStoppedError,
  QueueError,
  StaleEpochError,
} from './errors';
export type { QueueErrorCode } from './errors';
export { defaultQueuePluginName, QueuePlugin } from './queue-plugin';
export type { QueuePluginOptions } from './queue-plugin';
export { findUnreadableQueueObjects } from './unreadable-objects';
export type { UnreadableQueueObjectKind, UnreadableQueueObjectOptions } from './unreadable-objects';
