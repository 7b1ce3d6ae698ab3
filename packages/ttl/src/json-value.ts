import { findJsonProblem, type JsonValue } from '@baton/plugin';
import { InvalidRecordValueError, RecordValueTooLargeError } from './errors';

export type { JsonValue };

/** The largest record value accepted, in UTF-8 bytes of its JSON: 256 KiB. */
export const MAX_RECORD_VALUE_BYTES = 256 * 1024;

/**
 * Checks that `value` is plain JSON (see `findJsonProblem` of `@baton/plugin`) no longer than
 * `limitBytes`, and returns its JSON.
 *
 * @throws {InvalidRecordValueError} naming the path and the problem.
 * @throws {RecordValueTooLargeError} when the JSON is longer than `limitBytes`.
 */
export function encodeRecordValue(value: unknown, limitBytes = MAX_RECORD_VALUE_BYTES): string {
  const problem = findJsonProblem(value);
  if (problem !== undefined) throw new InvalidRecordValueError(problem.path, problem.problem);
  const text = JSON.stringify(value);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > limitBytes) throw new RecordValueTooLargeError(size, limitBytes);
  return text;
}
