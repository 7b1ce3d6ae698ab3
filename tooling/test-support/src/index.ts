export { ProcessCluster } from './process-cluster';
export type { ClusterEvent, ClusterProcess, ProcessClusterOptions } from './process-cluster';
export { readEventFile } from './event-file';
export { s3ConnectionString } from './s3-connection-string';
export { openBenchS3Target } from './bench-s3-target';
export type { BenchS3Target } from './bench-s3-target';
export { textTable } from './text-table';
export { runBenchmark } from './run-benchmark';
export { waitUntil } from './wait-until';
