import { InvalidJobDataError, JobDataTooLargeError } from './errors';

/** A plain JSON value: what job data and results may be. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The largest job data (and the largest result) accepted, in UTF-8 bytes of its JSON: 256 KiB.
 * The job record, which holds the data and the attempt history, is rewritten on every heartbeat,
 * so large payloads would make every heartbeat expensive; keep them elsewhere and enqueue a key.
 */
export const MAX_JOB_DATA_BYTES = 256 * 1024;

/**
 * Checks that `value` survives `JSON.stringify` → `JSON.parse` unchanged, and returns its JSON.
 * Rejects (with the path) what JSON would silently drop or alter: `undefined`, functions, symbols,
 * BigInt (which `JSON.stringify` throws on), non-finite numbers, cycles, and non-plain objects
 * (Date, Map, class instances).
 *
 * @throws {InvalidJobDataError} naming the path and the problem.
 * @throws {JobDataTooLargeError} when the JSON is longer than `limitBytes`.
 */
export function encodeJsonValue(value: unknown, limitBytes = MAX_JOB_DATA_BYTES, what = 'Job data'): string {
  assertJsonValue(value, '$', new Set());
  const text = JSON.stringify(value);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > limitBytes) throw new JobDataTooLargeError(size, limitBytes, what);
  return text;
}

function assertJsonValue(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidJobDataError(path, `${value} is not a finite number (JSON would store null)`);
      return;
    case 'undefined':
      throw new InvalidJobDataError(path, 'undefined is not JSON (it would be dropped or become null)');
    case 'bigint':
      throw new InvalidJobDataError(path, 'a BigInt is not JSON; convert it to a string');
    case 'function':
      throw new InvalidJobDataError(path, 'a function is not JSON');
    case 'symbol':
      throw new InvalidJobDataError(path, 'a symbol is not JSON');
    case 'object':
      break;
  }
  if (value === null) return;
  const object = value;
  if (ancestors.has(object)) throw new InvalidJobDataError(path, 'the value contains a cycle');
  ancestors.add(object);
  if (Array.isArray(object)) {
    object.forEach((item: unknown, index) => {
      assertJsonValue(item, `${path}[${index}]`, ancestors);
    });
  } else {
    const prototype: unknown = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) {
      const name = (object.constructor as { name?: string } | undefined)?.name ?? 'unknown';
      throw new InvalidJobDataError(path, `an instance of ${name} is not plain JSON (convert it to a plain object or string)`);
    }
    if (Object.getOwnPropertySymbols(object).length > 0) throw new InvalidJobDataError(path, 'symbol-keyed properties are not JSON');
    for (const [key, item] of Object.entries(object)) {
      assertJsonValue(item, `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`, ancestors);
    }
  }
  ancestors.delete(object);
}
