import { findJsonProblem, type JsonValue } from '@baton/plugin';
import { InvalidJobDataError, JobDataTooLargeError } from './errors';

export type { JsonValue };

/**
 * The largest job data (and the largest result) accepted, in UTF-8 bytes of its JSON: 256 KiB.
 * The job record, which holds the data and the attempt history, is rewritten on every heartbeat,
 * so large payloads would make every heartbeat expensive; keep them elsewhere and enqueue a key.
 */
export const MAX_JOB_DATA_BYTES = 256 * 1024;

/**
 * Checks that `value` is plain JSON (see `findJsonProblem` of `@baton/plugin`) no longer than
 * `limitBytes`, and returns its JSON.
 *
 * @throws {InvalidJobDataError} naming the path and the problem.
 * @throws {JobDataTooLargeError} when the JSON is longer than `limitBytes`.
 */
export function encodeJsonValue(value: unknown, limitBytes = MAX_JOB_DATA_BYTES, what = 'Job data'): string {
  const problem = findJsonProblem(value);
  if (problem !== undefined) throw new InvalidJobDataError(problem.path, problem.problem);
  const text = JSON.stringify(value);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > limitBytes) throw new JobDataTooLargeError(size, limitBytes, what);
  return text;
}
