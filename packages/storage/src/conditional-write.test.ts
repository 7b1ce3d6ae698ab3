import { describe, expect, it } from 'vitest';
import { isAbortError, writeConditionally } from './conditional-write';
import { OutcomeUnknownError, StorageUnavailableError } from './errors';
import { MemoryStore } from './memory-store';
import type { ObjectBody, PutOptions, PutResult } from './object-store';

/** A memory store whose next put applies (or not) and then fails as a real server may. */
class FailingPutStore extends MemoryStore {
  failNextPut: { applyFirst: boolean; error: Error } | undefined;
  failGets = false;

  override async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    const failure = this.failNextPut;
    this.failNextPut = undefined;
    if (failure === undefined) return super.put(key, body, options);
    if (failure.applyFirst) await super.put(key, body, { ...options, signal: undefined });
    throw failure.error;
  }

  override async get(...args: Parameters<MemoryStore['get']>): ReturnType<MemoryStore['get']> {
    if (this.failGets) throw new StorageUnavailableError('down', { operation: 'get', key: args[0] });
    return super.get(...args);
  }
}

describe('writeConditionally', () => {
  it('reports a written value with its ETag, and a refused precondition as refused', async () => {
    const store = new MemoryStore();
    const first = await writeConditionally(store, 'k', 'one', { ifNoneMatch: '*' });
    expect(first.kind).toBe('written');
    expect((await writeConditionally(store, 'k', 'two', { ifNoneMatch: '*' })).kind).toBe('refused');
    expect((await writeConditionally(store, 'k', 'two', { ifMatch: 'not-the-etag' })).kind).toBe('refused');
    expect(await store.get('k').then((object) => object?.etag)).toBe(first.kind === 'written' ? first.etag : '');
  });

  it('takes an aborted write that the server applied for written (the abort is not a loss)', async () => {
    const store = new FailingPutStore();
    const abort = new DOMException('stopped', 'AbortError');
    store.failNextPut = { applyFirst: true, error: abort };
    const outcome = await writeConditionally(store, 'k', 'mine', { ifNoneMatch: '*' });
    expect(outcome.kind).toBe('written');
    expect(outcome.kind === 'written' && outcome.etag).toBe((await store.get('k'))?.etag);
  });

  it('takes a 5xx after the write applied for written, and one before it for not applied', async () => {
    const store = new FailingPutStore();
    store.failNextPut = { applyFirst: true, error: new StorageUnavailableError('500', { operation: 'put' }) };
    expect((await writeConditionally(store, 'a', 'mine', { ifNoneMatch: '*' })).kind).toBe('written');
    store.failNextPut = { applyFirst: false, error: new StorageUnavailableError('500', { operation: 'put' }) };
    const outcome = await writeConditionally(store, 'b', 'mine', { ifNoneMatch: '*' });
    expect(outcome).toMatchObject({ kind: 'not-applied', current: undefined });
    expect(outcome.kind === 'not-applied' && isAbortError(outcome.error)).toBe(false);
  });

  it('reports an aborted write that did not apply with the abort as its error, and the bytes found', async () => {
    const store = new FailingPutStore();
    const { etag } = await store.put('k', 'theirs');
    store.failNextPut = { applyFirst: false, error: new DOMException('stopped', 'AbortError') };
    const outcome = await writeConditionally(store, 'k', 'mine', { ifMatch: etag });
    expect(outcome.kind).toBe('not-applied');
    if (outcome.kind !== 'not-applied') return;
    expect(isAbortError(outcome.error)).toBe(true);
    expect(new TextDecoder().decode(outcome.current?.body)).toBe('theirs');
  });

  it('runs the settling re-read under the signal rereadWithin makes, only when a re-read is needed', async () => {
    const store = new FailingPutStore();
    const signals: AbortSignal[] = [];
    const rereadWithin = (reread: (signal: AbortSignal) => Promise<Awaited<ReturnType<MemoryStore['get']>>>) => {
      const controller = new AbortController();
      signals.push(controller.signal);
      return reread(controller.signal);
    };
    expect((await writeConditionally(store, 'a', 'mine', { ifNoneMatch: '*' }, { rereadWithin })).kind).toBe('written');
    expect(signals).toHaveLength(0);
    store.failNextPut = { applyFirst: true, error: new DOMException('stopped', 'AbortError') };
    expect((await writeConditionally(store, 'b', 'mine', { ifNoneMatch: '*' }, { rereadWithin })).kind).toBe('written');
    expect(signals).toHaveLength(1);
    // A re-read its signal ends leaves the outcome unknown.
    store.failNextPut = { applyFirst: false, error: new StorageUnavailableError('500', { operation: 'put' }) };
    const aborted = (reread: (signal: AbortSignal) => Promise<Awaited<ReturnType<MemoryStore['get']>>>) => reread(AbortSignal.abort(new Error('budget spent')));
    await expect(writeConditionally(store, 'c', 'mine', { ifNoneMatch: '*' }, { rereadWithin: aborted })).rejects.toBeInstanceOf(OutcomeUnknownError);
  });

  it('throws OutcomeUnknownError when the settling re-read fails too', async () => {
    const store = new FailingPutStore();
    store.failNextPut = { applyFirst: true, error: new StorageUnavailableError('500', { operation: 'put' }) };
    store.failGets = true;
    await expect(writeConditionally(store, 'k', 'mine', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(OutcomeUnknownError);
  });
});
