import { silentLogger, systemEnvironment, type CoordinatorEnvironment, type Logger } from '@baton/plugin';
import { assertValidPrefix, type ObjectStore } from '@baton/storage';
import { InvalidTTLOptionsError } from './errors';
import type { JsonValue } from './json-value';
import { assertKnownOptionNames, type OptionNames } from './option-names';
import { GRANULARITIES, type Granularity } from './ttl-keys';

/** What the sweeper does with an expired record. */
export type ExpiryStrategy = 'hard-delete' | 'soft-delete' | 'archive' | 'callback';

/** An expired record, as the `callback` strategy's function receives it. */
export interface ExpiredRecord {
  /** The record's key. */
  key: string;
  /** Its value. */
  value: JsonValue;
  /** When it expired (wall ms). */
  expiresAt: number;
  /** This attempt at deciding its fate, from 1 (more after errors). */
  attempt: number;
}

/** What the callback gets besides the record. */
export interface ExpiryCallbackContext {
  /** The leadership epoch of the sweep. */
  epoch: number;
  /**
   * Aborted when this process stops leading, or when its claim on the record is lost (the record
   * was changed meanwhile): finish quickly or throw (the record is retried).
   */
  signal: AbortSignal;
}

/**
 * The callback's decision: `'delete'` (remove it), `'soft-delete'` (keep it, never readable),
 * `'keep'` (keep it readable, and never expire it again), or `{ extendMs }` (readable for that
 * much longer). Throwing (or rejecting) retries it later, with backoff.
 */
export type ExpiryDecision = 'delete' | 'soft-delete' | 'keep' | { extendMs: number };

/** The `callback` strategy's function. */
export type ExpiryCallback = (record: ExpiredRecord, context: ExpiryCallbackContext) => ExpiryDecision | Promise<ExpiryDecision>;

/** Options of a {@link TTLCollection}. Only `store` is required. */
export interface TTLCollectionOptions {
  /** The shared store. It must enforce conditional writes (see `probeStorage`). */
  store: ObjectStore;
  /** The collection's name: 1 to 64 of `a-z 0-9 . _ -`. Default `default`. */
  collection?: string;
  /** What happens to expired records. Default `hard-delete`. */
  strategy?: ExpiryStrategy;
  /** The `callback` strategy's function (required for it, refused for the others). */
  onExpire?: ExpiryCallback;
  /** The TTL of `set` calls that give neither `ttlMs` nor `expiresAt`, in ms. Default: none (one of them is required). */
  defaultTtlMs?: number;
  /** The cohort granularity of due markers; `auto` (default) picks it from each record's remaining TTL. */
  granularity?: Granularity | 'auto';
  /** Where the `archive` strategy moves expired records. Default `ttl/<collection>/archive/`. */
  archivePrefix?: string;
  /**
   * Only for stores without conditional DELETE (Ceph RGW): how long a writer must observe the same
   * tombstone (on its monotonic clock) before it may overwrite it. Default 30000; at least 100.
   */
  tombstoneGraceMs?: number;
  /**
   * Only for stores without conditional DELETE: the sweeper issues its unconditional DELETE of a
   * tombstone only within this long after it started writing the tombstone, else it leaves it.
   * Default ⅙ of `tombstoneGraceMs`; at most half of it.
   */
  tombstoneDeleteBoundMs?: number;
  /** A claim of another process unchanged for this long (observed) is taken back and its callback retried. Default 60000. */
  callbackTimeoutMs?: number;
  /** The first callback retry's delay, in ms; it doubles with each failure. Default 1000. */
  callbackRetryBaseMs?: number;
  /** The longest callback retry delay, in ms. Default 300000. */
  callbackRetryMaxMs?: number;
  /** How many due records a sweep handles at once. Default 8; 1..64. */
  sweepConcurrency?: number;
  /** Clock, timers and randomness. Default: the system's. */
  environment?: Partial<CoordinatorEnvironment>;
  /** A pino-shaped logger. Default: silent. */
  logger?: Logger;
}

/** {@link TTLCollectionOptions} with every default applied and validated. */
export interface ResolvedTTLOptions {
  store: ObjectStore;
  collection: string;
  strategy: ExpiryStrategy;
  onExpire: ExpiryCallback | undefined;
  defaultTtlMs: number | undefined;
  granularity: Granularity | 'auto';
  archivePrefix: string;
  tombstoneGraceMs: number;
  tombstoneDeleteBoundMs: number;
  callbackTimeoutMs: number;
  callbackRetryBaseMs: number;
  callbackRetryMaxMs: number;
  sweepConcurrency: number;
  environment: CoordinatorEnvironment;
  logger: Logger;
}

/** The option names of {@link TTLCollectionOptions}. */
export const TTL_COLLECTION_OPTION_NAMES = {
  store: true,
  collection: true,
  strategy: true,
  onExpire: true,
  defaultTtlMs: true,
  granularity: true,
  archivePrefix: true,
  tombstoneGraceMs: true,
  tombstoneDeleteBoundMs: true,
  callbackTimeoutMs: true,
  callbackRetryBaseMs: true,
  callbackRetryMaxMs: true,
  sweepConcurrency: true,
  environment: true,
  logger: true,
} as const satisfies OptionNames<TTLCollectionOptions>;

const STRATEGIES: readonly ExpiryStrategy[] = ['hard-delete', 'soft-delete', 'archive', 'callback'];
/** The longest TTL accepted: 100 years. */
export const MAX_TTL_MS = 100 * 365 * 86_400_000;

/**
 * Applies defaults and validates.
 *
 * @throws {InvalidTTLOptionsError} naming the first invalid (or unknown) option.
 */
export function resolveTTLOptions(options: TTLCollectionOptions): ResolvedTTLOptions {
  if (typeof options !== 'object' || (options as unknown) === null) throw new InvalidTTLOptionsError('options', options, 'must be an object with at least { store }');
  assertKnownOptionNames(options, TTL_COLLECTION_OPTION_NAMES);
  const store = options.store as ObjectStore | undefined;
  if (store === undefined || typeof store.put !== 'function') throw new InvalidTTLOptionsError('store', store, 'an ObjectStore is required');
  const collection = options.collection ?? 'default';
  assertCollectionName(collection);
  const strategy = options.strategy ?? 'hard-delete';
  if (!STRATEGIES.includes(strategy)) throw new InvalidTTLOptionsError('strategy', strategy, `one of ${STRATEGIES.join(', ')}`);
  if (strategy === 'callback' && typeof options.onExpire !== 'function') throw new InvalidTTLOptionsError('onExpire', options.onExpire, 'the callback strategy needs an onExpire function');
  if (strategy !== 'callback' && options.onExpire !== undefined) throw new InvalidTTLOptionsError('onExpire', 'a function', `only the callback strategy calls it; set strategy: 'callback'`);
  const granularity = options.granularity ?? 'auto';
  if (granularity !== 'auto' && !GRANULARITIES.includes(granularity)) throw new InvalidTTLOptionsError('granularity', granularity, `auto, ${GRANULARITIES.join(', ')}`);
  const archivePrefix = options.archivePrefix ?? `ttl/${collection}/archive/`;
  if (typeof archivePrefix !== 'string' || !archivePrefix.endsWith('/') || Buffer.byteLength(archivePrefix) > 200 || archivePrefix.startsWith(`ttl/${collection}/records/`) || archivePrefix.startsWith(`ttl/${collection}/due/`)) {
    throw new InvalidTTLOptionsError('archivePrefix', archivePrefix, 'a key prefix ending in "/", at most 200 bytes, outside the collection\'s records/ and due/');
  }
  try {
    assertValidPrefix(archivePrefix);
  } catch (error) {
    throw new InvalidTTLOptionsError('archivePrefix', archivePrefix, error instanceof Error ? error.message : String(error));
  }
  const tombstoneGraceMs = options.tombstoneGraceMs ?? 30_000;
  assertInteger('tombstoneGraceMs', tombstoneGraceMs, 100);
  const resolved: ResolvedTTLOptions = {
    store,
    collection,
    strategy,
    onExpire: options.onExpire,
    defaultTtlMs: options.defaultTtlMs,
    granularity,
    archivePrefix,
    tombstoneGraceMs,
    tombstoneDeleteBoundMs: options.tombstoneDeleteBoundMs ?? Math.floor(tombstoneGraceMs / 6),
    callbackTimeoutMs: options.callbackTimeoutMs ?? 60_000,
    callbackRetryBaseMs: options.callbackRetryBaseMs ?? 1000,
    callbackRetryMaxMs: options.callbackRetryMaxMs ?? 300_000,
    sweepConcurrency: options.sweepConcurrency ?? 8,
    environment: { ...systemEnvironment, ...options.environment },
    logger: options.logger ?? silentLogger,
  };
  if (resolved.defaultTtlMs !== undefined) assertInteger('defaultTtlMs', resolved.defaultTtlMs, 1, MAX_TTL_MS);
  assertInteger('tombstoneDeleteBoundMs', resolved.tombstoneDeleteBoundMs, 1, Math.floor(tombstoneGraceMs / 2));
  assertInteger('callbackTimeoutMs', resolved.callbackTimeoutMs, 1);
  assertInteger('callbackRetryBaseMs', resolved.callbackRetryBaseMs, 0);
  assertInteger('callbackRetryMaxMs', resolved.callbackRetryMaxMs, resolved.callbackRetryBaseMs);
  assertInteger('sweepConcurrency', resolved.sweepConcurrency, 1, 64);
  return resolved;
}

/** Throws {@link InvalidTTLOptionsError} unless `collection` is a valid collection name. */
export function assertCollectionName(collection: unknown): asserts collection is string {
  if (typeof collection !== 'string' || !/^[a-z0-9._-]{1,64}$/.test(collection) || collection === '.' || collection === '..') {
    throw new InvalidTTLOptionsError('collection', collection, '1 to 64 characters of a-z 0-9 . _ - (and not "." or "..")');
  }
}

/**
 * @throws {InvalidTTLOptionsError} unless `value` is an integer in [minimum, maximum].
 */
export function assertInteger(option: string, value: unknown, minimum: number, maximum = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new InvalidTTLOptionsError(option, value, `an integer from ${minimum} to ${maximum}`);
  }
}
