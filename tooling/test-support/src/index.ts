export { ProcessCluster } from './process-cluster';
export type { ClusterEvent, ClusterProcess, ProcessClusterOptions } from './process-cluster';
export { readEventFile } from './event-file';
export { s3ConnectionString } from './s3-connection-string';
