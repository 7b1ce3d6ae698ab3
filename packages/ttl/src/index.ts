export { TTLCollection } from './ttl-collection';
export type { ExpiryOptions, TTLEntry, TTLEventName, TTLEvents } from './ttl-collection';
export { defaultTTLPluginName, TTLPlugin } from './ttl-plugin';
export type { TTLPluginOptions } from './ttl-plugin';
export type { ExpiredRecord, ExpiryCallback, ExpiryCallbackContext, ExpiryDecision, ExpiryStrategy, TTLCollectionOptions } from './ttl-options';
export { MAX_TTL_MS } from './ttl-options';
export type { SweepOptions, SweepReport } from './sweeper';
export type { TTLMetrics } from './ttl-metrics';
export type { Granularity } from './ttl-keys';
export { MAX_RECORD_KEY_BYTES, ttlStoragePrefix } from './ttl-keys';
export { MAX_RECORD_VALUE_BYTES } from './json-value';
export type { JsonValue } from './json-value';
export {
  CorruptMarkerError,
  CorruptRecordError,
  InvalidRecordKeyError,
  InvalidRecordValueError,
  InvalidTTLOptionsError,
  RecordValueTooLargeError,
  StaleEpochError,
  TTLError,
} from './errors';
export type { TTLErrorCode } from './errors';
export { findUnreadableTTLObjects } from './unreadable-objects';
export type { UnreadableTTLObjectKind, UnreadableTTLObjectOptions } from './unreadable-objects';
