import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreConfigurationError, StorageUnavailableError } from '../errors';
import { objectStoreConformanceCases, readHistory } from '../testkit';
import { FileSystemStore } from './file-system-store';

const scratch = mkdtempSync(join(tmpdir(), 'baton-fs-store-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let directories = 0;
function freshDirectory(): string {
  directories += 1;
  return join(scratch, `store-${directories}`);
}

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Starts a fixture as its own OS process, running TypeScript through tsx. */
function startFixture(name: string, args: string[]): ChildProcess {
  return fork(join(fixtures, name), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(signal === null ? code : 128));
  });
}

describe('FileSystemStore conformance', () => {
  const store = new FileSystemStore({ directory: freshDirectory() });
  for (const testCase of objectStoreConformanceCases({ store: () => store })) {
    it(testCase.name, testCase.run, testCase.timeoutMs);
  }
});

describe('FileSystemStore across processes', () => {
  it('4 processes x 50 compare-and-swap increments of one counter: exactly 200, no lost update', async () => {
    const directory = freshDirectory();
    const store = new FileSystemStore({ directory });
    await store.put('counter', JSON.stringify({ history: [] }));
    const workers = Array.from({ length: 4 }, (_value, index) =>
      startFixture('counter-worker.ts', [directory, 'counter', `process-${index}`, '50']),
    );
    const codes = await Promise.all(workers.map(exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    const history = readHistory(await store.get('counter'));
    expect(history).toHaveLength(200);
    expect(new Set(history).size).toBe(200);
    for (let index = 0; index < 4; index += 1) {
      // Each process's own increments appear in the order it made them.
      const own = history.filter((entry) => entry.startsWith(`process-${index}-`));
      expect(own).toEqual(Array.from({ length: 50 }, (_value, sequence) => `process-${index}-${sequence}`));
    }
  }, 120_000);

  it('recovers the lock of a process killed (SIGKILL) while holding it', async () => {
    const directory = freshDirectory();
    const holder = startFixture('lock-holder.ts', [directory, 'contended']);
    await new Promise<void>((resolve, reject) => {
      holder.once('message', () => resolve());
      holder.once('exit', () => reject(new Error('the lock holder exited before taking the lock')));
    });
    const store = new FileSystemStore({ directory, lockTimeoutMs: 500 });
    // While the holder lives, writers wait and then time out with a message naming it.
    const blocked = store.put('contended', 'blocked');
    await expect(blocked).rejects.toThrow(StorageUnavailableError);
    await expect(blocked).rejects.toThrow(new RegExp(`held by pid ${holder.pid}`));
    holder.kill('SIGKILL');
    await exited(holder);
    const patient = new FileSystemStore({ directory, lockTimeoutMs: 10_000 });
    const started = performance.now();
    await patient.put('contended', 'after the crash', { ifNoneMatch: '*' });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(new TextDecoder().decode((await patient.get('contended'))?.body)).toBe('after the crash');
  }, 60_000);
});

describe('FileSystemStore layout', () => {
  it('keeps a key and the keys under it apart (a and a/b)', async () => {
    const directory = freshDirectory();
    const store = new FileSystemStore({ directory });
    await store.put('a', 'file');
    await store.put('a/b', 'nested');
    expect(existsSync(join(directory, 'a.obj'))).toBe(true);
    expect(existsSync(join(directory, 'a.dir', 'b.obj'))).toBe(true);
    expect((await store.list({ prefix: '' })).entries.map((entry) => entry.key)).toEqual(['a', 'a/b']);
    await store.delete('a/b');
    expect(existsSync(join(directory, 'a.dir')), 'an emptied directory is removed').toBe(false);
    expect(new TextDecoder().decode((await store.get('a'))?.body)).toBe('file');
  });

  it('keeps every object inside its directory, whatever the key', async () => {
    const directory = freshDirectory();
    const store = new FileSystemStore({ directory });
    for (const key of ['..x', 'x..', '...', '%2e%2e/passwd', 'a:b*c?d', 'CON', '.baton-store', '.baton-store/locks']) {
      await store.put(key, key);
      expect(new TextDecoder().decode((await store.get(key))?.body)).toBe(key);
    }
    expect(readdirSync(scratch).every((name) => name.startsWith('store-') || name === 'a-file')).toBe(true);
    // The keys named like the store's own directory did not land in it.
    expect(existsSync(join(directory, '.baton-store', 'locks.obj'))).toBe(false);
    expect((await store.list({ prefix: '' })).entries).toHaveLength(8);
  });

  it('rejects a segment too long to be a file name, saying so', async () => {
    const store = new FileSystemStore({ directory: freshDirectory() });
    await expect(store.put(`a/${'x'.repeat(300)}`, 'v')).rejects.toThrow(/too long for a file name/);
  });

  it('removes old lock generations instead of accumulating them', async () => {
    const directory = freshDirectory();
    const store = new FileSystemStore({ directory, durable: false });
    for (let index = 0; index < 150; index += 1) await store.put('busy', String(index));
    const locks = join(directory, '.baton-store', 'locks');
    const generationFiles = readdirSync(locks).flatMap((slot) => readdirSync(join(locks, slot)));
    expect(generationFiles.length).toBeLessThanOrEqual(66);
    expect(readdirSync(join(directory, '.baton-store', 'tmp'))).toEqual([]);
  });

  it('writes through a temporary file: a failed conditional write leaves no trace', async () => {
    const directory = freshDirectory();
    const store = new FileSystemStore({ directory });
    await store.put('k', 'v1');
    await expect(store.put('k', 'v2', { ifNoneMatch: '*' })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(readdirSync(join(directory, '.baton-store', 'tmp'))).toEqual([]);
    expect(statSync(join(directory, 'k.obj')).size).toBe(2);
  });

  it('needs an absolute, writable directory', () => {
    expect(() => new FileSystemStore({ directory: 'relative/dir' })).toThrow(StoreConfigurationError);
    const aFile = join(scratch, 'a-file');
    writeFileSync(aFile, 'not a directory');
    expect(() => new FileSystemStore({ directory: join(aFile, 'store') })).toThrow(/create it or choose a writable path/);
  });
});
