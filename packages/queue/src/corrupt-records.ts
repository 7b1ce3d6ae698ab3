import type { CorruptRecordError } from './errors';
import type { QueueContext } from './queue-context';

/**
 * Reports a record that is not a job, which was set aside so that it costs only itself: through
 * the queue's {@link QueueContext.corruptRecords} log (`@baton/plugin`'s `CorruptObjectLog`, which
 * the TTL uses too), one warning through the injected logger and one `record:corrupt` event per
 * record version (`version`, its ETag, when known; else once per key).
 */
export function reportCorruptRecord(context: QueueContext, error: CorruptRecordError, where: string, version?: string): void {
  context.corruptRecords.report(error.key, where, error, version);
}
