import { S3Store } from '@baton/storage-s3';
import { createTestBucket, type S3TestTarget, type TestBucket } from '@tooling/s3-test-server/target';

/** A fresh bucket on the test S3 server and an `S3Store` on it. */
export interface S3TestStore {
  /** The store. */
  store: S3Store;
  /** Its bucket (emptied and deleted by `close`). */
  bucket: TestBucket;
  /** Destroys the store's client and removes the bucket. */
  close(): Promise<void>;
}

/** Creates a bucket named after `namePrefix` on `target` and opens an `S3Store` on it (under `prefix`, if given). */
export async function openS3TestStore(target: S3TestTarget, options: { namePrefix: string; prefix?: string }): Promise<S3TestStore> {
  const bucket = await createTestBucket(target, { namePrefix: options.namePrefix });
  const store = new S3Store({
    bucket: bucket.name,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    endpoint: target.endpoint,
    region: target.region,
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
  });
  return {
    store,
    bucket,
    close: async () => {
      store.destroy();
      await bucket.remove();
    },
  };
}
