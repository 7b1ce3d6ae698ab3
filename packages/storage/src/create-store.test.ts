import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from './create-store';
import { FileSystemStore } from './file-system-store/file-system-store';
import { MemoryStore } from './memory-store';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'baton-create-store-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('createStore', () => {
  it('opens memory stores', async () => {
    expect(await createStore('memory://create-store-test')).toBeInstanceOf(MemoryStore);
  });

  it('opens file stores at absolute and relative paths', async () => {
    const absolute = await createStore(`file://${scratch}/absolute`);
    expect(absolute).toBeInstanceOf(FileSystemStore);
    expect(absolute.description).toBe(`file://${join(scratch, 'absolute')}`);
    const relative = await createStore('file://./relative', { baseDirectory: scratch });
    expect(relative.description).toBe(`file://${join(scratch, 'relative')}`);
    await relative.put('k', 'v');
    expect((await relative.get('k'))?.body).toEqual(new TextEncoder().encode('v'));
  });

  it('says which package to install when the S3 backend is missing', () => {
    // Inside this workspace the S3 package is always resolvable, so install the built package
    // alone into an empty project, as a user without @baton/storage-s3 would have it.
    const project = join(scratch, 'consumer');
    const installed = join(project, 'node_modules', '@baton', 'storage');
    mkdirSync(installed, { recursive: true });
    cpSync(join(packageRoot, 'dist'), join(installed, 'dist'), { recursive: true });
    cpSync(join(packageRoot, 'package.json'), join(installed, 'package.json'));
    const script = `
      import { createStore } from '@baton/storage';
      try { await createStore('s3://bucket'); console.log('no error'); }
      catch (error) { console.log(error.name + ': ' + error.message); }`;
    // pnpm points NODE_PATH at its store, where every workspace package is visible: drop it.
    const { NODE_PATH: _nodePath, ...environment } = process.env;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8', env: environment });
    expect(result.stdout).toContain('StoreConfigurationError: s3:// connection strings need the package @baton/storage-s3');
    expect(result.stdout).toContain('npm install @baton/storage-s3');
  });

  it('rejects a bad connection string before touching anything', async () => {
    await expect(createStore('redis://localhost')).rejects.toThrow(/Unsupported connection string/);
  });
});
