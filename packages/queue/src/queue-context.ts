import type { CorruptObjectLog } from '@baton/plugin';
import type { CorruptRecordError } from './errors';
import type { JobStore } from './job-store';
import type { QueueEventName, QueueEvents } from './queue-events';
import type { QueueKeys } from './queue-keys';
import type { ResolvedQueueOptions } from './queue-options';

/** What the queue's parts share: options, key layout, record access and the event sink. */
export interface QueueContext {
  /** Resolved options. */
  options: ResolvedQueueOptions;
  /** The key layout. */
  keys: QueueKeys;
  /** Record and marker access. */
  jobs: JobStore;
  /** Reports records set aside because they are not jobs (a warning and a `record:corrupt` event, once per version). */
  corruptRecords: CorruptObjectLog<CorruptRecordError>;
  /** Emits a queue event. */
  emit<Name extends QueueEventName>(name: Name, payload: QueueEvents[Name]): void;
}
