import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  AccessDeniedError,
  assertDeleteManyKeys,
  assertOnePrecondition,
  assertValidKey,
  assertValidPrefix,
  type DeleteOptions,
  effectiveListLimit,
  type GetOptions,
  isStorageError,
  type ListOptions,
  type ListPage,
  normalizeEtag,
  normalizePrefix,
  type ObjectBody,
  type ObjectStore,
  type OperationOptions,
  OutcomeUnknownError,
  type PutOptions,
  type PutResult,
  retryIdempotent,
  type S3ConnectionOptions,
  type StorageOperation,
  StorageUnavailableError,
  type StoreCapabilities,
  StoreConfigurationError,
  type StoredObject,
  toBytes,
  UnsupportedOperationError,
} from '@baton/storage';
import { AttemptTimeoutError, mapS3Error, s3ErrorCode } from './error-mapping';
import { withoutSdkRetries } from './single-attempt';

/** The most keys one S3 ListObjectsV2 call returns. */
const S3_MAX_LIST_LIMIT = 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_RETRY_BASE_DELAY_MS = 100;
const DEFAULT_REGION = 'us-east-1';

/** Options every {@link S3Store} accepts, whichever way it gets its client. */
export interface S3StoreCommonOptions {
  /** The bucket. It must exist: the store never creates it. */
  bucket: string;
  /** Every key is stored under this prefix (`team-a/baton` or `team-a/baton/`). Default: none. */
  prefix?: string;
  /**
   * How long one request may take, in milliseconds, before it is abandoned. Default 30000.
   * An idempotent call (get, list, unconditional put, delete) then retries; a conditional write
   * rejects with `OutcomeUnknownError`, because the store may have applied it.
   */
  requestTimeoutMs?: number;
  /**
   * Attempts for idempotent calls (get, list, unconditional put, delete) when the store is
   * unavailable or throttling, with exponential backoff and jitter. Default 3. Conditional writes
   * are always attempted once: repeating one could report a loss for a write that won.
   */
  maxAttempts?: number;
  /** The average delay before the first retry, in milliseconds; it doubles with each retry. Default 100. */
  retryBaseDelayMs?: number;
  /**
   * Whether the store enforces `If-Match` on DELETE. Default false: Ceph RGW and many
   * S3-compatibles ignore it silently and delete anyway. Set it only for AWS S3 or a store that
   * `probeStorage()` has verified.
   */
  conditionalDelete?: boolean;
}

/** An {@link S3Store} on a client you configured. Its SDK retries are bypassed (see `maxAttempts`). */
export interface S3StoreClientOptions extends S3StoreCommonOptions {
  /** The client to send requests with. Not destroyed by {@link S3Store.destroy}. */
  client: S3Client;
  /** Shown in `description` only: the client's own endpoint is used. */
  endpoint?: string;
}

/** An {@link S3Store} that builds its own client from connection options (what an `s3://` string carries). */
export interface S3StoreConnectionOptions extends S3StoreCommonOptions, Omit<S3ConnectionOptions, 'bucket' | 'prefix'> {
  /** Absent: the store builds its client. */
  client?: undefined;
}

/** Options for {@link S3Store}: an existing `client`, or the fields to build one from. */
export type S3StoreOptions = S3StoreClientOptions | S3StoreConnectionOptions;

/**
 * An {@link ObjectStore} on an S3 bucket: AWS S3, Ceph RGW, MinIO and other S3-compatible stores.
 *
 * Conditional writes map to `If-None-Match: *` and `If-Match: <etag>` on PutObject. They are
 * never retried: a timeout, a 5xx or a 409 makes them reject with `OutcomeUnknownError` (re-read
 * and decide). Everything else is retried with backoff when the store is unavailable.
 */
export class S3Store implements ObjectStore {
  /** See {@link ObjectStore.capabilities}. */
  readonly capabilities: StoreCapabilities;

  /** `s3://bucket/prefix (endpoint)`. Never contains credentials. */
  readonly description: string;

  /** The bucket. */
  readonly bucket: string;

  /** The key prefix, `''` or ending in `/`. */
  readonly prefix: string;

  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #requestTimeoutMs: number;
  readonly #maxAttempts: number;
  readonly #retryBaseDelayMs: number;

  /**
   * @throws {StoreConfigurationError} when an option is invalid (the message names it).
   */
  constructor(options: S3StoreOptions) {
    if (typeof options !== 'object' || (options as unknown) === null) {
      throw new StoreConfigurationError('S3Store needs options: { bucket, prefix?, endpoint?, region?, credentials? } or { client, bucket }');
    }
    if (typeof options.bucket !== 'string' || options.bucket === '') {
      throw new StoreConfigurationError('S3Store needs a bucket name (options.bucket)');
    }
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.#requestTimeoutMs = positiveNumber(options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs');
    this.#maxAttempts = positiveInteger(options.maxAttempts, DEFAULT_MAX_ATTEMPTS, 'maxAttempts');
    this.#retryBaseDelayMs = nonNegativeNumber(options.retryBaseDelayMs, DEFAULT_RETRY_BASE_DELAY_MS, 'retryBaseDelayMs');
    this.capabilities = {
      conditionalCreate: true,
      conditionalUpdate: true,
      conditionalDelete: options.conditionalDelete ?? false,
      readAfterWrite: true,
      maxListLimit: S3_MAX_LIST_LIMIT,
    };

    if (options.client !== undefined) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      this.#client = new S3Client(clientConfig(options));
      this.#ownsClient = true;
    }
    this.description = describeStore(this.bucket, this.prefix, options);
  }

  /** See {@link ObjectStore.get}. */
  async get(key: string, options: GetOptions = {}): Promise<StoredObject | undefined> {
    assertValidKey(key, 'get');
    const { signal } = options;
    signal?.throwIfAborted();
    return this.#idempotent('get', key, signal, async (attemptSignal) => {
      let response;
      try {
        response = await this.#client.send(withoutSdkRetries(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key })), {
          abortSignal: attemptSignal,
        });
      } catch (error) {
        // Only S3's own "no such key": a bare 404 (a wrong endpoint or addressing style) must not
        // pass for a missing object, or a misconfigured store would look empty.
        if (s3ErrorCode(error) === 'NoSuchKey') return undefined;
        throw error;
      }
      if (response.Body === undefined) throw new Error('GetObject returned no body');
      const body = await readBody(response.Body, attemptSignal);
      const stored: StoredObject = { key, body, etag: this.#requireEtag(response.ETag, 'get', key) };
      if (response.LastModified !== undefined) stored.lastModified = response.LastModified;
      return stored;
    });
  }

  /** See {@link ObjectStore.put}. */
  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    assertValidKey(key, 'put');
    assertOnePrecondition(options, key);
    const bytes = toBytes(body);
    const { signal } = options;
    signal?.throwIfAborted();
    const send = async (attemptSignal: AbortSignal): Promise<PutResult> => {
      const response = await this.#client.send(
        withoutSdkRetries(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            Body: bytes,
            ContentLength: bytes.byteLength,
            ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
            ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: '*' }),
            // Bare: RGW 16 (and, reportedly, DigitalOcean Spaces) compares If-Match with its ETag
            // without quotes and answers 412 to a quoted one even when it matches. AWS S3 is
            // reported to accept the bare form; these tests cannot check AWS.
            ...(options.ifMatch === undefined ? {} : { IfMatch: normalizeEtag(options.ifMatch) }),
          }),
        ),
        { abortSignal: attemptSignal },
      );
      return { etag: this.#requireEtag(response.ETag, 'put', key, options.ifMatch !== undefined || options.ifNoneMatch !== undefined) };
    };
    if (options.ifMatch === undefined && options.ifNoneMatch === undefined) {
      return this.#idempotent('put', key, signal, send);
    }
    return this.#conditional('put', key, signal, send);
  }

  /** See {@link ObjectStore.delete}. */
  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    assertValidKey(key, 'delete');
    const { signal, ifMatch } = options;
    if (ifMatch !== undefined) {
      if (typeof ifMatch !== 'string' || ifMatch === '') {
        throw new TypeError(`delete(${JSON.stringify(key)}): ifMatch must be a non-empty ETag string`);
      }
      if (!this.capabilities.conditionalDelete) {
        throw new UnsupportedOperationError(
          'This S3 store does not enforce conditional deletes (Ceph RGW and many S3-compatibles ignore If-Match on DELETE and delete anyway). ' +
            'Delete unconditionally, or set conditionalDelete: true only for AWS S3 or a store probeStorage() has verified',
          { operation: 'delete', key, store: this.description },
        );
      }
    }
    signal?.throwIfAborted();
    const send = async (attemptSignal: AbortSignal): Promise<void> => {
      await this.#client.send(
        withoutSdkRetries(
          new DeleteObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            ...(ifMatch === undefined ? {} : { IfMatch: normalizeEtag(ifMatch) }),
          }),
        ),
        { abortSignal: attemptSignal },
      );
    };
    if (ifMatch === undefined) {
      await this.#idempotent('delete', key, signal, async (attemptSignal) => {
        try {
          await send(attemptSignal);
        } catch (error) {
          // Deleting a missing object succeeds, whether the store says 204 (S3) or 404.
          if (s3ErrorCode(error) === 'NoSuchKey') return;
          throw error;
        }
      });
      return;
    }
    await this.#conditional('delete', key, signal, send);
  }

  /** See {@link ObjectStore.list}. Pages come in S3's order: ascending UTF-8 bytes. */
  /**
   * See {@link ObjectStore.deleteMany}: one `DeleteObjects` request (quiet mode) for up to 1000
   * keys, retried as a whole when the store is unavailable or reports keys it could not delete
   * (deleting again is harmless).
   */
  async deleteMany(keys: readonly string[], options: OperationOptions = {}): Promise<void> {
    assertDeleteManyKeys(keys);
    if (keys.length === 0) return;
    const { signal } = options;
    signal?.throwIfAborted();
    await this.#idempotent('delete', keys[0], signal, async (attemptSignal) => {
      const result = await this.#client.send(
        withoutSdkRetries(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((key) => ({ Key: this.prefix + key })), Quiet: true },
          }),
        ),
        { abortSignal: attemptSignal },
      );
      const failures = result.Errors ?? [];
      const first = failures[0];
      if (first === undefined) return;
      const key = first.Key?.slice(this.prefix.length);
      const context = { operation: 'delete' as const, key, store: this.description };
      const detail = `${failures.length} of ${keys.length} keys were not deleted (first: ${JSON.stringify(key)}: ${first.Code ?? 'unknown'} ${first.Message ?? ''})`.trimEnd();
      if (first.Code === 'AccessDenied') {
        throw new AccessDeniedError(`${detail}: allow s3:DeleteObject on arn:aws:s3:::${this.bucket}/${this.prefix}* for these credentials`, context);
      }
      throw new StorageUnavailableError(`${detail}; deleting them again is safe`, context);
    });
  }

  async list(options: ListOptions): Promise<ListPage> {
    assertValidPrefix(options.prefix);
    const limit = effectiveListLimit(options.limit, S3_MAX_LIST_LIMIT);
    if (options.cursor !== undefined && (typeof options.cursor !== 'string' || options.cursor === '')) {
      throw new TypeError('list cursor must be the nextCursor string of a previous page');
    }
    const { signal } = options;
    signal?.throwIfAborted();
    return this.#idempotent('list', undefined, signal, async (attemptSignal) => {
      const response = await this.#client.send(
        withoutSdkRetries(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + options.prefix,
            MaxKeys: limit,
            ...(options.cursor === undefined ? {} : { ContinuationToken: options.cursor }),
          }),
        ),
        { abortSignal: attemptSignal },
      );
      const page: ListPage = {
        entries: (response.Contents ?? []).flatMap((object) => {
          if (object.Key?.startsWith(this.prefix) !== true) return [];
          return [
            {
              key: object.Key.slice(this.prefix.length),
              size: object.Size ?? 0,
              ...(object.ETag === undefined ? {} : { etag: normalizeEtag(object.ETag) }),
              ...(object.LastModified === undefined ? {} : { lastModified: object.LastModified }),
            },
          ];
        }),
      };
      if (response.IsTruncated === true && response.NextContinuationToken !== undefined) {
        page.nextCursor = response.NextContinuationToken;
      }
      return page;
    });
  }

  /**
   * Closes the connections of the client this store built. A client passed in `options.client`
   * is left alone: it belongs to the caller.
   */
  destroy(): void {
    if (this.#ownsClient) this.#client.destroy();
  }

  /** Runs an idempotent call: each attempt with its own time budget, retried while the store is unavailable. */
  #idempotent<T>(
    operation: StorageOperation,
    key: string | undefined,
    signal: AbortSignal | undefined,
    attempt: (attemptSignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return retryIdempotent({
      maxAttempts: this.#maxAttempts,
      baseDelayMs: this.#retryBaseDelayMs,
      ...(signal === undefined ? {} : { signal }),
      attempt: () => this.#once(operation, key, signal, false, attempt),
    });
  }

  /** Runs a conditional call exactly once. */
  #conditional<T>(
    operation: StorageOperation,
    key: string,
    signal: AbortSignal | undefined,
    attempt: (attemptSignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return this.#once(operation, key, signal, true, attempt);
  }

  /**
   * One attempt under the caller's signal and this store's request timeout. Rejects with the
   * signal's reason when the caller aborts, and with a typed storage error otherwise.
   */
  async #once<T>(
    operation: StorageOperation,
    key: string | undefined,
    signal: AbortSignal | undefined,
    conditional: boolean,
    attempt: (attemptSignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    signal?.throwIfAborted();
    // A timer cleared on completion rather than AbortSignal.timeout(), whose timer would live on
    // for the whole budget after every request.
    const timeout = new AbortController();
    const timer = setTimeout(() => {
      timeout.abort(new AttemptTimeoutError(this.#requestTimeoutMs));
    }, this.#requestTimeoutMs);
    const attemptSignal = signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal]);
    try {
      return await attempt(attemptSignal);
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      // Already decided (e.g. a reply without an ETag): keep it as it is.
      if (isStorageError(error)) throw error;
      const failure = timeout.signal.aborted ? new AttemptTimeoutError(this.#requestTimeoutMs) : error;
      throw mapS3Error(failure, {
        operation,
        key,
        store: this.description,
        bucket: this.bucket,
        prefix: this.prefix,
        conditional,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Every object baton writes must have an ETag, or no conditional write can name it. A store
   * that sends none is not usable; a conditional write that got no ETag back may still have won.
   */
  #requireEtag(etag: string | undefined, operation: StorageOperation, key: string, conditional = false): string {
    if (etag !== undefined && etag !== '') return normalizeEtag(etag);
    if (conditional) throw new OutcomeUnknownError({ operation, key, store: this.description });
    throw new StoreConfigurationError(
      `The store returned no ETag for ${operation} of ${JSON.stringify(key)} on ${this.description}: baton needs ETags for conditional writes; use an S3 store that sends them`,
    );
  }
}

/**
 * Creates an {@link S3Store}. `createStore('s3://…')` of `@baton/storage` calls this with the
 * parsed connection string (plus any `s3` options given to `createStore`).
 */
export function createS3Store(options: S3StoreOptions): S3Store {
  return new S3Store(options);
}

function clientConfig(options: S3StoreConnectionOptions): S3ClientConfig {
  return {
    region: options.region ?? DEFAULT_REGION,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    // The SDK's default trailing CRC checksums use aws-chunked bodies that Ceph RGW 16 and
    // other S3-compatibles reject; checksums stay on where an operation requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Retries are this store's job: only idempotent calls may be repeated (see withoutSdkRetries).
    maxAttempts: 1,
  };
}

function describeStore(bucket: string, prefix: string, options: S3StoreOptions): string {
  const location = `s3://${bucket}/${prefix}`;
  if (options.endpoint !== undefined) return `${location} (${withoutUserInfo(options.endpoint)})`;
  if (options.client !== undefined) return `${location} (custom S3 client)`;
  return `${location} (AWS S3 ${options.region ?? DEFAULT_REGION})`;
}

function withoutUserInfo(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.href.replace(/\/$/, '');
  } catch {
    return endpoint.replace(/\/\/[^/@]*@/, '//');
  }
}

/** Reads a GetObject body, giving up as soon as `signal` aborts (a stalled body must not outlive the timeout). */
async function readBody(body: { transformToByteArray(): Promise<Uint8Array>; destroy?: () => void }, signal: AbortSignal): Promise<Uint8Array> {
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      body.destroy?.();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([body.transformToByteArray(), aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    aborted.catch(() => undefined);
  }
}

function positiveNumber(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new StoreConfigurationError(`S3Store option ${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function nonNegativeNumber(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new StoreConfigurationError(`S3Store option ${name} must be zero or a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new StoreConfigurationError(`S3Store option ${name} must be a whole number of at least 1, got ${String(value)}`);
  }
  return value;
}
