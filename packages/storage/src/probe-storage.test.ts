import { describe, expect, it } from 'vitest';
import { AccessDeniedError, PreconditionFailedError } from './errors';
import { MemoryStore } from './memory-store';
import type { DeleteOptions, ObjectBody, ObjectStore, PutOptions } from './object-store';
import { probeStorage } from './probe-storage';

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

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(probeStorage(new MemoryStore(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
