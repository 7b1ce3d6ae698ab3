import type { Clock } from '@baton/plugin';

/** The store's clock as its HTTP `Date` header gives it. */
export interface DateHeaderReading {
  /** The store's clock minus this host's, in milliseconds. */
  offsetMs: number;
  /** How far off `offsetMs` may be: half the round trip plus the header's one-second resolution. */
  uncertaintyMs: number;
}

/**
 * Reads the `Date` header of one HEAD request to `url` (any answer carries it, 403 included, so
 * no credentials are sent or needed) and compares it with this host's wall clock at the midpoint
 * of the request. For information only: nothing in baton depends on clocks agreeing.
 */
export async function readDateHeader(url: string, clock: Clock, signal?: AbortSignal): Promise<DateHeaderReading | undefined> {
  const started = clock.monotonicNow();
  const wallBefore = clock.wallNow();
  const timeout = AbortSignal.timeout(5000);
  const response = await fetch(url, { method: 'HEAD', signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) });
  const elapsed = clock.monotonicNow() - started;
  const header = response.headers.get('date');
  if (header === null) return undefined;
  const storeTime = Date.parse(header);
  if (Number.isNaN(storeTime)) return undefined;
  // The header truncates to whole seconds: the store's time was in [storeTime, storeTime + 1000).
  return { offsetMs: Math.round(storeTime + 500 - (wallBefore + elapsed / 2)), uncertaintyMs: Math.round(elapsed / 2 + 500) };
}
