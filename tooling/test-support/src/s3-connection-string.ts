/** The `s3://` connection string of `bucket`/`prefix` on an S3 endpoint (path-style, as Ceph RGW needs). */
export function s3ConnectionString(
  target: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string },
  bucket: string,
  prefix: string,
): string {
  const credentials = `${encodeURIComponent(target.accessKeyId)}:${encodeURIComponent(target.secretAccessKey)}`;
  const query = new URLSearchParams({ endpoint: target.endpoint, region: target.region, forcePathStyle: 'true' });
  return `s3://${credentials}@${bucket}/${prefix}?${query.toString()}`;
}
