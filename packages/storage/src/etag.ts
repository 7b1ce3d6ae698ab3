import { createHash } from 'node:crypto';

/** The ETag the bundled backends give an object: the MD5 of its bytes, as S3 does for simple uploads. */
export function contentEtag(body: Uint8Array): string {
  return createHash('md5').update(body).digest('hex');
}

/** Strips the double quotes (and a weak `W/` marker) that HTTP puts around ETags. */
export function normalizeEtag(etag: string): string {
  const unweakened = etag.startsWith('W/') ? etag.slice(2) : etag;
  return unweakened.length >= 2 && unweakened.startsWith('"') && unweakened.endsWith('"')
    ? unweakened.slice(1, -1)
    : unweakened;
}
