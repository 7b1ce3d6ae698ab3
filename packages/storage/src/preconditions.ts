import type { PutOptions } from './object-store';

/**
 * Rejects a put that names both preconditions or a malformed one: S3 would evaluate both, and a
 * caller who sets both has almost certainly mixed up two code paths.
 */
export function assertOnePrecondition(options: PutOptions, key: string): void {
  // Typed as '*', but JavaScript callers can pass anything.
  const ifNoneMatch: unknown = options.ifNoneMatch;
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
    throw new TypeError(`put(${JSON.stringify(key)}): ifNoneMatch supports only '*', got ${JSON.stringify(ifNoneMatch)}`);
  }
  if (options.ifMatch !== undefined && (typeof options.ifMatch !== 'string' || options.ifMatch === '')) {
    throw new TypeError(`put(${JSON.stringify(key)}): ifMatch must be a non-empty ETag string`);
  }
  if (options.ifNoneMatch !== undefined && options.ifMatch !== undefined) {
    throw new TypeError(`put(${JSON.stringify(key)}): give either ifNoneMatch or ifMatch, not both`);
  }
}

