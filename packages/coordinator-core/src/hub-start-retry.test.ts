import type { Logger } from '@baton/plugin';
import { AccessDeniedError, isStorageError, MemoryStore, ProbeInconclusiveError, StorageUnavailableError, UnsafeStoreError, type ObjectBody, type PutOptions } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, GLOBAL_START_ATTEMPTS, type Hub } from './hub';

const TIMINGS = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});

/** A logger that keeps every line and the error logged with it. */
function capturingLogger(): Logger & { lines: string[]; errors: unknown[] } {
  const lines: string[] = [];
  const errors: unknown[] = [];
  const record = (first: string | object, second?: string) => {
    if (typeof first === 'object' && 'error' in first) errors.push(first.error);
    lines.push(typeof first === 'string' ? first : (second ?? ''));
  };
  return { lines, errors, debug: record, info: record, warn: record, error: record };
}

/** Fails the writes `fails` picks: with a 503 (transient) or a 403 (permanent), as S3 would. */
class FaultyStore extends MemoryStore {
  readonly writes: { key: string; failed: boolean }[] = [];
  constructor(readonly fails: (key: string, options: PutOptions, index: number) => 'unavailable' | 'denied' | undefined) {
    super();
  }
  override put(key: string, body: ObjectBody, options: PutOptions = {}) {
    const fault = this.fails(key, options, this.writes.length);
    this.writes.push({ key, failed: fault !== undefined });
    if (fault === 'unavailable') return Promise.reject(new StorageUnavailableError('503 SlowDown: the store is unavailable or asked to slow down', { operation: 'put', key }));
    if (fault === 'denied') return Promise.reject(new AccessDeniedError('Access denied (403 AccessDenied): allow s3:PutObject on arn:aws:s3:::bucket/plg_coordinator_global/* for these credentials', { operation: 'put', key }));
    return super.put(key, body, options);
  }
}

const GLOBAL = 'plg_coordinator_global/';
const retryLines = (logger: { lines: string[] }) => logger.lines.filter((line) => line.includes('Global coordinator start failed transiently'));
const fellBack = (logger: { lines: string[] }) => logger.lines.includes('[queue] Global coordinator unavailable, falling back to per-plugin mode');

describe('the start of a global coordinator under transient errors', () => {
  it('a store whose first start-up writes fail transiently: retried, and the plugin ends in global mode', async () => {
    // More failures than the probe's own attempts (3): the hub has to start again.
    const store = new FaultyStore((key, _options, index) => (key.startsWith(GLOBAL) && index < 4 ? 'unavailable' : undefined));
    const logger = capturingLogger();
    const hub = await connect(store, { globalCoordinator: TIMINGS, logger });
    hubs.push(hub);
    await hub.usePlugin({ name: 'queue' });

    expect(hub.coordination.get('queue')).toMatchObject({ mode: 'global' });
    expect(hub.coordination.get('queue')?.fallbackReason).toBeUndefined();
    expect(fellBack(logger)).toBe(false);
    expect(retryLines(logger)).toEqual([expect.stringMatching(/^\[queue\] Global coordinator start failed transiently \(attempt 1 of 4\): The storage probe of .* could not finish .*retrying in \d+ ms$/) as unknown]);
    await expect.poll(() => store.get('plg_queue/coordinator/state.json')).toBeDefined(); // claimed by the global leader
  });

  it('a registration that keeps failing transiently: tried GLOBAL_START_ATTEMPTS times with growing waits, then falls back', async () => {
    const store = new FaultyStore((key) => (key.startsWith(`${GLOBAL}default/workers/`) ? 'unavailable' : undefined));
    const logger = capturingLogger();
    const hub = await connect(store, { globalCoordinator: TIMINGS, logger });
    hubs.push(hub);
    await hub.usePlugin({ name: 'queue' });

    expect(hub.coordination.get('queue')).toMatchObject({ mode: 'per-plugin', fallbackReason: expect.stringMatching(/503 SlowDown/) as unknown });
    expect(fellBack(logger)).toBe(true);
    expect(store.writes.filter((write) => write.key.startsWith(`${GLOBAL}default/workers/`))).toHaveLength(GLOBAL_START_ATTEMPTS);
    // About ⅛, ¼ and ½ of the lease (300 ms), with equal jitter: each between half and all of it.
    const waits = retryLines(logger).map((line) => Number(/retrying in (\d+) ms/.exec(line)?.[1]));
    expect(waits).toHaveLength(GLOBAL_START_ATTEMPTS - 1);
    [37.5, 75, 150].forEach((ceiling, index) => {
      expect(waits[index]).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
      expect(waits[index]).toBeLessThanOrEqual(Math.ceil(ceiling));
    });
  });

  it('access denied on the probe write falls back at once: no retry, and the error names the key and the permissions', async () => {
    const store = new FaultyStore((key) => (key.startsWith(GLOBAL) ? 'denied' : undefined));
    const logger = capturingLogger();
    const hub = await connect(store, { globalCoordinator: TIMINGS, logger });
    hubs.push(hub);
    await hub.usePlugin({ name: 'queue' });

    expect(hub.coordination.get('queue')?.mode).toBe('per-plugin');
    expect(fellBack(logger)).toBe(true);
    expect(retryLines(logger)).toEqual([]);
    expect(store.writes.filter((write) => write.key.startsWith(GLOBAL))).toHaveLength(1);
    const error = logger.errors.find((logged) => isStorageError(logged));
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error).toMatchObject({ code: 'ACCESS_DENIED', operation: 'put', key: expect.stringMatching(/^plg_coordinator_global\/\.probe\/.*\/subject$/) as unknown });
    expect((error as Error).message).toMatch(/the probe's put of "plg_coordinator_global\/\.probe\/.*\/subject" failed .*access was denied\. Allow s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on plg_coordinator_global\/\* /);
  });

  it('disconnect() during the wait before a retry returns at once, and nothing falls back', async () => {
    // Waits of 1-2 s, 2-4 s and 4-8 s: disconnecting must not sit them out.
    const store = new FaultyStore((key) => (key.startsWith(`${GLOBAL}default/workers/`) ? 'unavailable' : undefined));
    const logger = capturingLogger();
    const hub = await connect(store, { globalCoordinator: { heartbeatInterval: 1000, leaseTimeout: 16_000, workerTimeout: 20_000 }, logger });
    const installing = hub.usePlugin({ name: 'queue' });
    installing.catch(() => undefined);
    await expect.poll(() => retryLines(logger).length).toBe(1);

    const started = performance.now();
    await hub.disconnect();
    await expect(installing).rejects.toMatchObject({ name: 'AbortError', message: expect.stringMatching(/disconnect\(\) was called while a plugin waited to retry/) as unknown });
    expect(performance.now() - started).toBeLessThan(250);
    expect(fellBack(logger)).toBe(false);
    expect(hub.plugins.size).toBe(0);
    expect(await store.get('plg_queue/coordinator/state.json')).toBeUndefined();
  });

  it('a probe whose conditional writes keep failing transiently: ProbeInconclusiveError (retryable), never UnsafeStoreError', async () => {
    const store = new FaultyStore((key, options) => (key.startsWith(`${GLOBAL}.probe/`) && (options.ifMatch !== undefined || options.ifNoneMatch !== undefined) ? 'unavailable' : undefined));
    const hub = await connect(store, { globalCoordinator: TIMINGS });
    hubs.push(hub);
    const error = await hub.getGlobalCoordinator().catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(UnsafeStoreError);
    expect(error).toBeInstanceOf(ProbeInconclusiveError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect((error as Error).message).toMatch(/conditional-create-enforced: the store kept failing .*Check connectivity to the store.*a hub retries/);
  });
});
