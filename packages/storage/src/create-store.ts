import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConnectionString, type S3ConnectionOptions } from './connection-string';
import { StoreConfigurationError } from './errors';
import { FileSystemStore, type FileSystemStoreOptions } from './file-system-store/file-system-store';
import { MemoryStore } from './memory-store';
import type { ObjectStore } from './object-store';

/** Options for {@link createStore}. */
export interface CreateStoreOptions {
  /** What `file://./relative` paths are resolved against. Default: the current directory. */
  baseDirectory?: string;
  /** Extra options for `file://` stores. */
  file?: Omit<FileSystemStoreOptions, 'directory'>;
  /** Extra options passed to `createS3Store` of `@baton/storage-s3` (e.g. `client`, `requestTimeoutMs`). */
  s3?: Record<string, unknown>;
}

/** What `@baton/storage-s3` provides to this package. */
interface S3Module {
  createS3Store(options: S3ConnectionOptions & Record<string, unknown>): ObjectStore;
}

const S3_PACKAGE = '@baton/storage-s3';
const memoryStores = new Map<string, MemoryStore>();

/**
 * Opens the store a connection string names (see `parseConnectionString` for the forms).
 * `memory://NAME` gives the same instance to every caller in this process that names NAME;
 * `s3://` loads `@baton/storage-s3` on first use, so the S3 SDK is only installed by those who need it.
 *
 * @throws {StoreConfigurationError} for a malformed string, or when `@baton/storage-s3` is missing.
 */
export async function createStore(connectionString: string, options: CreateStoreOptions = {}): Promise<ObjectStore> {
  const parsed = parseConnectionString(connectionString, options.baseDirectory);
  switch (parsed.kind) {
    case 'memory': {
      let store = memoryStores.get(parsed.name);
      if (store === undefined) {
        store = new MemoryStore({ name: parsed.name });
        memoryStores.set(parsed.name, store);
      }
      return store;
    }
    case 'file':
      return new FileSystemStore({ ...options.file, directory: parsed.directory });
    case 's3': {
      const s3 = await loadS3Module();
      return s3.createS3Store({ ...options.s3, ...parsed.options });
    }
  }
}

/**
 * The URL of the package's ESM entry as installed for `require`. Resolving the package itself
 * would give its CommonJS build, which loads the CommonJS copy of this package: two sets of
 * classes, and `instanceof` checks that fail.
 */
function resolveEsmEntry(require: NodeJS.Require): string {
  const manifestPath = require.resolve(`${S3_PACKAGE}/package.json`);
  const manifest = require(manifestPath) as { exports?: { '.'?: { import?: { default?: string } } } };
  const entry = manifest.exports?.['.']?.import?.default ?? './dist/index.js';
  return pathToFileURL(join(dirname(manifestPath), entry)).href;
}

async function loadS3Module(): Promise<S3Module> {
  // Resolved from this package first, then from the application (where it is usually installed
  // next to this package without being a dependency of it).
  const candidates: (() => Promise<unknown>)[] = [
    () => import(/* @vite-ignore */ S3_PACKAGE),
    () => import(/* @vite-ignore */ resolveEsmEntry(createRequire(join(process.cwd(), 'package.json')))),
  ];
  let lastError: unknown;
  for (const load of candidates) {
    try {
      const loaded = (await load()) as Partial<S3Module> & { default?: Partial<S3Module> };
      const module = typeof loaded.createS3Store === 'function' ? loaded : loaded.default;
      if (typeof module?.createS3Store === 'function') return module as S3Module;
    } catch (error) {
      lastError = error;
    }
  }
  throw new StoreConfigurationError(
    `s3:// connection strings need the package ${S3_PACKAGE}: install it next to @baton/storage (npm install ${S3_PACKAGE})`,
    lastError,
  );
}
