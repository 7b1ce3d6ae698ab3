import { connect, type ConnectOptions, type Hub } from '@baton/coordinator-core';
import { parseConnectionString } from '@baton/storage';

/** A hub opened from a connection string, and where the store's clock can be read. */
export interface OpenedHub {
  hub: Hub;
  /** The S3 endpoint (its `Date` header gives the store's clock), for `s3://` strings. */
  dateHeaderUrl?: string;
  /** Disconnects the hub and closes the store's connections. */
  close(): Promise<void>;
}

/**
 * Opens a hub on a connection string without starting any coordinator. `s3://` strings use
 * `@baton/storage-s3` (a dependency of this package, so the CLI works wherever it is installed).
 *
 * @throws {StoreConfigurationError} for a bad connection string (the message never shows secrets).
 */
export async function openHub(connectionString: string, options: ConnectOptions = {}): Promise<OpenedHub> {
  const parsed = parseConnectionString(connectionString);
  if (parsed.kind !== 's3') {
    const hub = await connect(connectionString, options);
    return { hub, close: () => hub.disconnect() };
  }
  // Loaded only for s3:// strings: the AWS SDK is large, and diagnose() users may not need it.
  const { createS3Store } = await import('@baton/storage-s3');
  const store = createS3Store({ ...parsed.options, maxAttempts: 2, requestTimeoutMs: 10_000 });
  const endpoint = parsed.options.endpoint ?? `https://s3.${parsed.options.region ?? 'us-east-1'}.amazonaws.com`;
  const hub = await connect(store, options);
  return {
    hub,
    dateHeaderUrl: `${endpoint}/`,
    close: async () => {
      await hub.disconnect();
      store.destroy();
    },
  };
}
