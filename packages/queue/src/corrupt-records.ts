import type { CorruptRecordError } from './errors';
import type { QueueContext } from './queue-context';

/**
 * Reports a record that is not a job, which was set aside so that it costs only itself: a
 * warning through the injected logger and a `record:corrupt` event (count them there).
 */
export function reportCorruptRecord(context: QueueContext, error: CorruptRecordError, where: string): void {
  context.options.logger.warn({ key: error.key, error, context: where }, `queue: ${where}: set aside a record that is not a job`);
  context.emit('record:corrupt', { key: error.key, context: where, error });
}
