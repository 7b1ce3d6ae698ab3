import { startS3TestServer, type S3TestServer } from '@tooling/s3-test-server';
import { createTestBucket, type TestBucket } from '@tooling/s3-test-server/target';
import { s3ConnectionString } from './s3-connection-string';

/** An S3 bucket a benchmark can use: from `S3_TEST_ENDPOINT`, or on a throwaway Ceph RGW it started. */
export interface BenchS3Target {
  /** Where it is, for the benchmark's header. */
  description: string;
  /** A connection string for a fresh prefix of the bucket. */
  connectionString(prefix: string): string;
  /** Empties and removes the bucket, and stops the server if this started one. */
  close(): Promise<void>;
}

/**
 * Opens an S3 target for a benchmark, or says why it cannot (so the benchmark skips S3 with
 * that reason instead of failing).
 */
export async function openBenchS3Target(namePrefix: string): Promise<BenchS3Target | { skipped: string }> {
  let server: S3TestServer | undefined;
  let target: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  let description: string;
  const endpoint = process.env.S3_TEST_ENDPOINT;
  if (endpoint !== undefined && endpoint !== '') {
    target = {
      endpoint: endpoint.replace(/\/+$/, ''),
      region: process.env.S3_TEST_REGION ?? 'us-east-1',
      accessKeyId: process.env.S3_TEST_ACCESS_KEY ?? 'baton-test-key',
      secretAccessKey: process.env.S3_TEST_SECRET_KEY ?? 'baton-secret',
    };
    description = `S3_TEST_ENDPOINT ${target.endpoint}`;
  } else {
    try {
      server = await startS3TestServer();
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
      return { skipped: `could not start Ceph RGW (${reason}); install radosgw ceph-mon ceph-osd or set S3_TEST_ENDPOINT` };
    }
    target = server;
    description = `throwaway Ceph RGW on ${server.endpoint}`;
  }
  let bucket: TestBucket;
  try {
    bucket = await createTestBucket(target, { namePrefix });
  } catch (error) {
    await server?.stop();
    return { skipped: `cannot create a bucket on ${target.endpoint}: ${error instanceof Error ? error.message : String(error)}` };
  }
  return {
    description,
    connectionString: (prefix) => s3ConnectionString(target, bucket.name, prefix),
    close: async () => {
      await bucket.remove().catch(() => undefined);
      await server?.stop();
    },
  };
}
