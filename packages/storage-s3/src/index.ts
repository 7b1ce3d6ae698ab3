export { createS3Store, S3Store } from './s3-store';
export type { S3StoreClientOptions, S3StoreCommonOptions, S3StoreConnectionOptions, S3StoreOptions } from './s3-store';
export { mapS3Error, requiredPermission } from './error-mapping';
export type { FailedCall } from './error-mapping';
