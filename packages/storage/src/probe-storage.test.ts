import { describe, expect, it } from 'vitest';
import type { SleepTimers } from './abort';
import { AccessDeniedError, OutcomeUnknownError, PreconditionFailedError, StorageUnavailableError } from './errors';
import { MemoryStore } from './memory-store';
import type { DeleteOptions, ObjectBody, ObjectStore, PutOptions } from './object-store';
import { probeOutcome, probeStorage } from './probe-storage';

/** Forwards everything to a MemoryStore; subclasses break one thing on purpose. */
class WrappedStore implements ObjectStore {
  readonly inner = new MemoryStore({ name: 'wrapped' });
  readonly capabilities = { ...this.inner.capabilities };
  readonly description = 'wrapped://test';
  get: ObjectStore['get'] = (key, options) => this.inner.get(key, options);
  put(key: string, body: ObjectBody, options?: PutOptions) {
    return this.inner.put(key, body, options);
  }
  delete(key: string, options?: DeleteOptions) {
    return this.inner.delete(key, options);
  }
  list: ObjectStore['list'] = (options) => this.inner.list(options);
}

/** Accepts If-None-Match / If-Match and ignores them, as several S3-compatibles do. */
class IgnoresConditions extends WrappedStore {
  override put(key: string, body: ObjectBody, options: PutOptions = {}) {
    return this.inner.put(key, body, { signal: options.signal });
  }
  override delete(key: string, options: DeleteOptions = {}) {
    return this.inner.delete(key, { signal: options.signal });
  }
}

/** Reports a precondition failure but writes anyway. */
class AppliesThenRefuses extends WrappedStore {
  override async put(key: string, body: ObjectBody, options: PutOptions = {}) {
    const result = await this.inner.put(key, body, { signal: options.signal });
    if (options.ifMatch !== undefined || options.ifNoneMatch !== undefined) {
      const current = await this.inner.get(key);
      if (current !== undefined && (options.ifNoneMatch === '*' || current.etag !== options.ifMatch)) {
        throw new PreconditionFailedError({ operation: 'put', key });
      }
    }
    return result;
  }
}

class DeniesWrites extends WrappedStore {
  override put(key: string): never {
    throw new AccessDeniedError('Access denied: allow s3:PutObject', { operation: 'put', key });
  }
}

/**
 * Fails the requests `fails` picks with a transient error (a 503, as S3 answers when it throttles),
 * before they reach the store; conditional writes can also be applied and then lose their reply.
 */
class FlakyStore extends WrappedStore {
  readonly requests: { operation: string; key: string; conditional: boolean; failed: boolean }[] = [];
  constructor(
    readonly fails: (request: { operation: string; key: string; conditional: boolean; count: number }) => 'unavailable' | 'lost-reply' | undefined,
  ) {
    super();
  }
  #fault(operation: string, key: string, conditional: boolean) {
    const count = this.requests.filter((request) => request.operation === operation && request.conditional === conditional).length;
    const fault = this.fails({ operation, key, conditional, count });
    this.requests.push({ operation, key, conditional, failed: fault !== undefined });
    return fault;
  }
  override async put(key: string, body: ObjectBody, options: PutOptions = {}) {
    const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
    const fault = this.#fault('put', key, conditional);
    if (fault === 'unavailable') throw new StorageUnavailableError('503 SlowDown', { operation: 'put', key });
    const result = await this.inner.put(key, body, options);
    if (fault === 'lost-reply') throw new OutcomeUnknownError({ operation: 'put', key });
    return result;
  }
  override get: ObjectStore['get'] = (key, options) => {
    if (this.#fault('get', key, false) !== undefined) return Promise.reject(new StorageUnavailableError('connect ETIMEDOUT', { operation: 'get', key }));
    return this.inner.get(key, options);
  };
}

/** Timers that fire at once and remember each delay asked for: retries without waiting. */
function instantTimers(): SleepTimers & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    setTimeout: (callback, delayMs) => {
      delays.push(delayMs);
      return setImmediate(callback);
    },
    clearTimeout: (handle) => {
      clearImmediate(handle as ReturnType<typeof setImmediate>);
    },
  };
}

function outcomes(report: Awaited<ReturnType<typeof probeStorage>>) {
  return Object.fromEntries(report.checks.map((check) => [check.id, check.outcome]));
}

describe('probeStorage', () => {
  it('finds a healthy store safe, with every capability observed', async () => {
    const report = await probeStorage(new MemoryStore());
    expect(report.safe).toBe(true);
    expect(report.observed).toEqual({
      readAfterWrite: true,
      conditionalCreate: true,
      conditionalUpdate: true,
      conditionalDelete: true,
      listAfterWrite: true,
    });
    expect(report.checks.every((check) => check.outcome === 'pass')).toBe(true);
  });

  it('leaves nothing behind', async () => {
    const store = new MemoryStore();
    await probeStorage(store);
    expect(store.size).toBe(0);
  });

  it('flags a store that accepts conditional headers but ignores them', async () => {
    const report = await probeStorage(new IgnoresConditions());
    expect(report.safe).toBe(false);
    expect(probeOutcome(report)).toBe('unsafe');
    expect(report.observed.conditionalCreate).toBe(false);
    expect(report.observed.conditionalUpdate).toBe(false);
    expect(report.observed.conditionalDelete).toBe(false);
    expect(outcomes(report)).toMatchObject({
      'read-after-write': 'pass',
      'conditional-create-enforced': 'fail',
      'conditional-update-enforced': 'fail',
      'conditional-update-missing': 'fail',
      'conditional-delete-enforced': 'fail',
    });
    expect(report.checks.find((check) => check.id === 'conditional-create-enforced')?.detail).toMatch(/ignores conditional headers/);
  });

  it('flags a store that reports a refusal but applies the write', async () => {
    const report = await probeStorage(new AppliesThenRefuses());
    expect(report.safe).toBe(false);
    expect(report.checks.find((check) => check.id === 'conditional-update-enforced')?.detail).toMatch(/applied anyway/);
  });

  it('does not ask for conditional delete when the store does not claim it', async () => {
    const store = new IgnoresConditions();
    store.capabilities.conditionalDelete = false;
    const report = await probeStorage(store);
    expect(report.observed.conditionalDelete).toBeUndefined();
    expect(outcomes(report)['conditional-delete-enforced']).toBe('skip');
  });

  it('reports permission errors as failed checks instead of throwing', async () => {
    const report = await probeStorage(new DeniesWrites());
    expect(report.safe).toBe(false);
    expect(report.checks[0]?.detail).toMatch(/allow s3:PutObject/);
  });

  it('does not retry access denied: the check fails at once, naming the denied operation and key', async () => {
    const store = new DeniesWrites();
    let puts = 0;
    const deny = store.put.bind(store);
    store.put = (key: string) => {
      puts += 1;
      return deny(key);
    };
    const timers = instantTimers();
    const report = await probeStorage(store, { keyPrefix: 'scratch/', timers });
    expect(probeOutcome(report)).toBe('unsafe');
    expect(report.checks[0]).toMatchObject({ id: 'read-after-write', outcome: 'fail', failure: { code: 'ACCESS_DENIED', operation: 'put', key: expect.stringMatching(/^scratch\/.*\/subject$/) as unknown } });
    expect(puts).toBe(1);
    expect(timers.delays).toEqual([]);
  });

  it('retries transient errors and then finds the store safe', async () => {
    // The first two writes and the first read fail: each is retried, after a growing delay.
    const store = new FlakyStore(({ operation, conditional, count }) => ((operation === 'put' && !conditional && count < 2) || (operation === 'get' && count < 1) ? 'unavailable' : undefined));
    const timers = instantTimers();
    const report = await probeStorage(store, { attempts: 3, retryDelayMs: 100, timers, random: () => 1 });
    expect(report.safe).toBe(true);
    expect(probeOutcome(report)).toBe('safe');
    expect(report.checks.every((check) => check.outcome === 'pass')).toBe(true);
    expect(timers.delays).toEqual([100, 200, 100]);
  });

  it('retries a refused write that failed transiently instead of calling it unenforced', async () => {
    // The first conditional write (create-if-absent over the subject) is throttled before it reaches the store.
    const store = new FlakyStore(({ conditional, count }) => (conditional && count === 0 ? 'unavailable' : undefined));
    const report = await probeStorage(store, { timers: instantTimers() });
    expect(report.safe).toBe(true);
    expect(probeOutcome(report)).toBe('safe');
    expect(outcomes(report)['conditional-create-enforced']).toBe('pass');
  });

  it('settles a conditional write that applied but lost its reply by re-reading, then passes', async () => {
    // Every conditional write the store applies loses its reply (reported as outcome unknown); refused ones still get a 412.
    const store = new FlakyStore(({ conditional }) => (conditional ? 'lost-reply' : undefined));
    const report = await probeStorage(store, { timers: instantTimers() });
    expect(report.safe).toBe(true);
    expect(probeOutcome(report)).toBe('safe');
    expect(report.checks.find((check) => check.id === 'conditional-create-applies')?.detail).toMatch(/re-read shows it applied/);
    expect(report.checks.find((check) => check.id === 'conditional-update-applies')?.detail).toMatch(/re-read shows it applied/);
  });

  it('calls a store that keeps failing transiently inconclusive, not unsafe, and stops probing', async () => {
    const store = new FlakyStore(({ operation }) => (operation === 'put' ? 'unavailable' : undefined));
    const report = await probeStorage(store, { attempts: 4, timers: instantTimers() });
    expect(report.safe).toBe(false);
    expect(probeOutcome(report)).toBe('inconclusive');
    expect(report.checks[0]).toMatchObject({ id: 'read-after-write', outcome: 'inconclusive', failure: { code: 'UNAVAILABLE', operation: 'put' } });
    expect(report.checks[0]?.detail).toMatch(/kept failing with UNAVAILABLE .*4 attempts/);
    // Nothing after it is judged on state the probe never set up.
    expect(report.checks.filter((check) => check.outcome === 'fail')).toEqual([]);
    expect(store.requests.filter((request) => request.operation === 'put' && request.key.endsWith('/subject'))).toHaveLength(4);
  });

  it('is inconclusive when a conditional write keeps failing transiently, with no check failed', async () => {
    const store = new FlakyStore(({ conditional }) => (conditional ? 'unavailable' : undefined));
    const report = await probeStorage(store, { timers: instantTimers() });
    expect(probeOutcome(report)).toBe('inconclusive');
    expect(outcomes(report)).toMatchObject({ 'read-after-write': 'pass', 'conditional-create-enforced': 'inconclusive', 'conditional-update-enforced': 'skip', cleanup: 'pass' });
    expect(report.checks.filter((check) => check.outcome === 'fail')).toEqual([]);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(probeStorage(new MemoryStore(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
