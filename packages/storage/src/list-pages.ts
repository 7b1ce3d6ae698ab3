import { compareKeys } from './keys';
import type { ListOptions, ListPage, ObjectStore } from './object-store';

/**
 * Every page of a listing, one `list` request each, requested only as the caller iterates:
 * stopping early (`break`, `return`) requests no further page.
 *
 * ```ts
 * for await (const page of listPages(store, { prefix: 'jobs/', signal })) for (const entry of page.entries) …
 * ```
 */
export async function* listPages(store: ObjectStore, options: ListOptions): AsyncGenerator<ListPage, void, undefined> {
  let cursor = options.cursor;
  do {
    const page = await store.list({ ...options, ...(cursor === undefined ? {} : { cursor }) });
    yield page;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** The default page size of `list`, as on S3. */
export const DEFAULT_LIST_LIMIT = 1000;

/**
 * Checks a requested page size and caps it at what the backend honours.
 *
 * @throws {TypeError} when `limit` is not a positive integer.
 */
export function effectiveListLimit(limit: number | undefined, maximum: number): number {
  if (limit === undefined) return Math.min(DEFAULT_LIST_LIMIT, maximum);
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`list limit must be a positive integer, got ${String(limit)}`);
  return Math.min(limit, maximum);
}

/**
 * One page of `sortedKeys` (ascending UTF-8 order) for the backends that hold all keys at hand.
 * The cursor is the last key returned, so pages stay correct when keys are added or removed
 * between calls.
 */
export function pageOfSortedKeys(
  sortedKeys: readonly string[],
  options: ListOptions,
  maximumLimit: number,
): { keys: string[]; nextCursor?: string } {
  const limit = effectiveListLimit(options.limit, maximumLimit);
  const firstWithPrefix = lowerBound(sortedKeys, options.prefix);
  let index = options.cursor === undefined ? firstWithPrefix : Math.max(firstWithPrefix, upperBound(sortedKeys, options.cursor));
  const keys: string[] = [];
  // Keys sharing a prefix are contiguous in sorted order: the first one without it ends the page.
  for (; index < sortedKeys.length && keys.length < limit; index += 1) {
    const key = sortedKeys[index] as string;
    if (!key.startsWith(options.prefix)) return { keys };
    keys.push(key);
  }
  const more = index < sortedKeys.length && (sortedKeys[index] as string).startsWith(options.prefix);
  const last = keys.at(-1);
  return more && last !== undefined ? { keys, nextCursor: last } : { keys };
}

/** The first index whose key is >= `key`. */
function lowerBound(sortedKeys: readonly string[], key: string): number {
  let low = 0;
  let high = sortedKeys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(sortedKeys[middle] as string, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose key is > `key`. */
function upperBound(sortedKeys: readonly string[], key: string): number {
  let low = 0;
  let high = sortedKeys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(sortedKeys[middle] as string, key) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
