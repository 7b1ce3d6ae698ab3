export type {
  DeleteOptions,
  GetOptions,
  ListEntry,
  ListOptions,
  ListPage,
  ObjectBody,
  ObjectStore,
  OperationOptions,
  PutOptions,
  PutResult,
  StoreCapabilities,
  StoredObject,
} from './object-store';
export {
  AccessDeniedError,
  InvalidKeyError,
  isRetryableStorageError,
  isStorageError,
  NotFoundError,
  OutcomeUnknownError,
  PreconditionFailedError,
  ProbeInconclusiveError,
  StorageError,
  StorageUnavailableError,
  StoreConfigurationError,
  UnsafeStoreError,
  UnsupportedOperationError,
} from './errors';
export type { StorageErrorCode, StorageErrorContext, StorageOperation } from './errors';
export { assertValidKey, assertValidPrefix, compareKeys, MAX_KEY_BYTES } from './keys';
export { contentEtag, normalizeEtag } from './etag';
export { bytesToText, toBytes } from './body';
export { sleep, throwIfAborted } from './abort';
export type { SleepTimers } from './abort';
export { retryIdempotent } from './retry';
export type { RetryNotice, RetryOptions } from './retry';
export { assertOnePrecondition } from './preconditions';
export { isAbortError, writeConditionally } from './conditional-write';
export type { ConditionalWriteOptions, ConditionalWriteOutcome, WriteCondition } from './conditional-write';
export { DEFAULT_LIST_LIMIT, effectiveListLimit, listPages, pageOfSortedKeys } from './list-pages';
export { assertDeleteManyKeys, deleteEachKey, deleteKeys, MAX_KEYS_PER_DELETE_MANY } from './delete-keys';
export { CountingStore } from './counting-store';
export type { RequestCounts } from './counting-store';
export { MemoryStore } from './memory-store';
export type { MemoryStoreOptions } from './memory-store';
export { FileSystemStore } from './file-system-store/file-system-store';
export type { FileSystemStoreOptions } from './file-system-store/file-system-store';
export { normalizePrefix, parseConnectionString, redactConnectionString } from './connection-string';
export type { ConnectionString, S3ConnectionOptions } from './connection-string';
export { createStore } from './create-store';
export type { CreateStoreOptions } from './create-store';
export { probeOutcome, probeStorage } from './probe-storage';
export type { ProbeCheck, ProbeCheckFailure, ProbeOptions, ProbeOutcome, ProbeReport } from './probe-storage';
