/** A plain JSON value: what plugins store as job data, results and record values. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Where and why a value is not plain JSON. */
export interface JsonProblem {
  /** The path of the offending part, from `$` (e.g. `$.user.tags[2]`). */
  path: string;
  /** What is wrong with it, and what to do instead. */
  problem: string;
}

/**
 * Finds the first part of `value` that would not survive `JSON.stringify` → `JSON.parse`
 * unchanged: `undefined`, functions, symbols, BigInt (which `JSON.stringify` throws on),
 * non-finite numbers, cycles, non-plain objects (Date, Map, class instances) and symbol-keyed
 * properties. Shared (acyclic) references are fine.
 *
 * @returns the problem, or `undefined` when `value` is plain JSON.
 */
export function findJsonProblem(value: unknown): JsonProblem | undefined {
  return problemAt(value, '$', new Set());
}

function problemAt(value: unknown, path: string, ancestors: Set<object>): JsonProblem | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path, problem: `${value} is not a finite number (JSON would store null)` };
    case 'undefined':
      return { path, problem: 'undefined is not JSON (it would be dropped or become null)' };
    case 'bigint':
      return { path, problem: 'a BigInt is not JSON; convert it to a string' };
    case 'function':
      return { path, problem: 'a function is not JSON' };
    case 'symbol':
      return { path, problem: 'a symbol is not JSON' };
    case 'object':
      break;
  }
  if (value === null) return undefined;
  const object = value;
  if (ancestors.has(object)) return { path, problem: 'the value contains a cycle' };
  ancestors.add(object);
  const problem = Array.isArray(object) ? arrayProblem(object, path, ancestors) : objectProblem(object, path, ancestors);
  ancestors.delete(object);
  return problem;
}

function arrayProblem(array: readonly unknown[], path: string, ancestors: Set<object>): JsonProblem | undefined {
  for (const [index, item] of array.entries()) {
    const problem = problemAt(item, `${path}[${index}]`, ancestors);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function objectProblem(object: object, path: string, ancestors: Set<object>): JsonProblem | undefined {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (object.constructor as { name?: string } | undefined)?.name ?? 'unknown';
    return { path, problem: `an instance of ${name} is not plain JSON (convert it to a plain object or string)` };
  }
  if (Object.getOwnPropertySymbols(object).length > 0) return { path, problem: 'symbol-keyed properties are not JSON' };
  for (const [key, item] of Object.entries(object)) {
    const problem = problemAt(item, `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`, ancestors);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * A user-supplied value as an error message shows it: its JSON where it has one (cut to
 * `maxLength` characters), else a plain description (`1n`, `a function`, `undefined`, …).
 */
export function describeValue(value: unknown, maxLength = Number.POSITIVE_INFINITY): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  try {
    // JSON.stringify returns undefined (despite its declared type) for undefined and symbols.
    const text: unknown = Reflect.apply(JSON.stringify, JSON, [value]);
    if (typeof text !== 'string') return String(value);
    return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
  } catch {
    return String(value);
  }
}
