import { namespaceKeys, pluginElectionKeys, type NamespaceKeys } from '@baton/coordinator-core';
import type { UnreadableObject, UnreadableObjectScan } from '@baton/plugin';
import { defaultQueuePluginName, findUnreadableQueueObjects, queueStoragePrefix } from '@baton/queue';
import { bytesToText, isStorageError, type ObjectStore } from '@baton/storage';
import { defaultTTLPluginName, findUnreadableTTLObjects, ttlStoragePrefix } from '@baton/ttl';
import { describeError, type EpochOwner, type RegistrationEvidence, type StoredObjectsEvidence, type UnreadableKind } from './evidence';
import { listAll } from './gather-evidence';

/** What {@link gatherStoredObjects} needs. */
export interface StoredObjectsOptions {
  /** The store (the hub's, recorded). */
  store: ObjectStore;
  /** The namespace diagnosed. */
  namespace: string;
  /** Its registrations, as already read (their epochs are taken from there). */
  registrations: RegistrationEvidence[] | { error: unknown };
  /** Plugin names whose own lease folders (`plg_<plugin>/coordinator/`) to examine, besides those derived from the queues and TTL collections found. */
  plugins: readonly string[];
  /** Queues to scan, besides those found under `queues/`. */
  queues: readonly string[];
  /** TTL collections to scan, besides those found under `ttl/`. */
  ttlCollections: readonly string[];
  /** At most this many keys are listed per listing (and records read per scan). */
  maxKeys: number;
  /** Aborts the gathering. */
  signal?: AbortSignal;
}

/**
 * Reads the epochs the namespace's and the plugin leases' records and registrations store, and
 * scans the queues and TTL collections (found under `queues/` and `ttl/`, or named) with the
 * libraries' own validators for the objects they set aside. Never writes.
 */
export async function gatherStoredObjects(options: StoredObjectsOptions): Promise<StoredObjectsEvidence> {
  const { store, signal, maxKeys } = options;
  const evidence: StoredObjectsEvidence = { epochs: [], unreadable: [], errors: [] };
  const attempt = async (prefix: string, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      signal?.throwIfAborted();
      evidence.errors.push({ prefix, error: describeError(error) });
    }
  };

  const queues = new Set(options.queues);
  const collections = new Set(options.ttlCollections);
  // A least-privilege policy for the coordinator alone does not allow listing queues/ or ttl/:
  // then there is nothing to find there (named queues and collections are still scanned).
  const discover = async (root: string, into: Set<string>): Promise<void> => {
    await attempt(root, async () => {
      try {
        for (const name of await folderNames(store, root, maxKeys, signal)) into.add(name);
      } catch (error) {
        if (!isStorageError(error, 'ACCESS_DENIED')) throw error;
      }
    });
  };
  await discover('queues/', queues);
  await discover('ttl/', collections);
  const addGroup = (kind: UnreadableKind, owner: string, prefix: string, objects: UnreadableObject[], truncated: boolean): void => {
    if (objects.length > 0) evidence.unreadable.push({ kind, owner, prefix, objects, truncated });
  };
  const plugins = new Set(options.plugins);
  for (const name of queues) {
    const prefix = validName(() => queueStoragePrefix(name));
    if (prefix === undefined) continue; // not a queue's folder: nothing of ours to judge
    plugins.add(defaultQueuePluginName(name));
    await attempt(prefix, async () => {
      const scan = await findUnreadableQueueObjects(store, name, { maxKeys, ...(signal === undefined ? {} : { signal }) });
      addGroups(scan, { jobRecords: 'queue-job-records', markers: 'queue-markers', journal: 'queue-journal' }, (kind, objects) => addGroup(kind, `queue ${name}`, prefix, objects, scan.truncated));
    });
  }
  for (const name of collections) {
    const prefix = validName(() => ttlStoragePrefix(name));
    if (prefix === undefined) continue;
    plugins.add(defaultTTLPluginName(name));
    await attempt(prefix, async () => {
      const scan = await findUnreadableTTLObjects(store, name, { maxKeys, ...(signal === undefined ? {} : { signal }) });
      addGroups(scan, { records: 'ttl-records', markers: 'ttl-markers' }, (kind, objects) => addGroup(kind, `TTL collection ${name}`, prefix, objects, scan.truncated));
    });
  }

  const folders: { owner: EpochOwner; label: string; keys: NamespaceKeys }[] = [{ owner: { namespace: options.namespace }, label: `namespace ${options.namespace}`, keys: namespaceKeys(options.namespace) }];
  for (const plugin of plugins) {
    const keys = validName(() => pluginElectionKeys(plugin));
    if (keys !== undefined) folders.push({ owner: { plugin }, label: `plugin ${plugin}`, keys });
  }
  for (const [index, folder] of folders.entries()) {
    const { keys, owner } = folder;
    await attempt(keys.state.slice(0, -'state.json'.length), async () => {
      const lease = await storedField(store, keys.state, 'epoch', signal);
      if (lease !== undefined) evidence.epochs.push({ owner, kind: 'lease', key: keys.state, value: lease.value });
      const ledger = await storedField(store, keys.epochLedger, 'highestEpoch', signal);
      if (ledger !== undefined) evidence.epochs.push({ owner, kind: 'ledger', key: keys.epochLedger, value: ledger.value });
      const listing = await listAll(store, keys.workersPrefix, maxKeys, signal);
      const foreign = listing.entries.filter((entry) => keys.workerIdFromKey(entry.key) === undefined).map((entry) => ({ key: entry.key, reason: 'not a registration key (workers/<worker id>.json): no worker reads or removes it' }));
      addGroup('worker-keys', folder.label, keys.workersPrefix, foreign, listing.truncated);
      // The namespace's registrations were read already; a plugin lease's are read here.
      if (index === 0 && Array.isArray(options.registrations)) {
        for (const registration of options.registrations) {
          if (registration.record !== undefined && 'epoch' in registration.record) evidence.epochs.push({ owner, kind: 'registration', key: registration.key, value: registration.record.epoch });
        }
        return;
      }
      for (const entry of listing.entries) {
        if (keys.workerIdFromKey(entry.key) === undefined) continue;
        const registration = await storedField(store, entry.key, 'epoch', signal);
        if (registration !== undefined) evidence.epochs.push({ owner, kind: 'registration', key: entry.key, value: registration.value });
      }
    });
  }
  return evidence;
}

function addGroups<Kind extends string>(scan: UnreadableObjectScan<Kind>, kinds: Record<Kind, UnreadableKind>, add: (kind: UnreadableKind, objects: UnreadableObject[]) => void): void {
  for (const kind of Object.keys(kinds) as Kind[]) add(kinds[kind], scan.objects[kind]);
}

/** The first key segments under `root` (queue or collection names), from a bounded listing. */
async function folderNames(store: ObjectStore, root: string, maxKeys: number, signal: AbortSignal | undefined): Promise<string[]> {
  const names = new Set<string>();
  for (const { key } of (await listAll(store, root, maxKeys, signal)).entries) {
    const name = key.slice(root.length).split('/')[0];
    if (name !== undefined && name !== '' && key.length > root.length + name.length) names.add(name);
  }
  return [...names];
}

/** The result of `derive`, or `undefined` when it refuses the name (a folder that is not ours). */
function validName<Result>(derive: () => Result): Result | undefined {
  try {
    return derive();
  } catch {
    return undefined;
  }
}

/**
 * `field` of the JSON object stored at `key`, as stored; `undefined` when the object is missing,
 * is not a JSON object, or has no such field (other checks report unreadable records).
 */
async function storedField(store: ObjectStore, key: string, field: string, signal: AbortSignal | undefined): Promise<{ value: unknown } | undefined> {
  const stored = await store.get(key, { signal });
  if (stored === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytesToText(stored.body));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !(field in value)) return undefined;
  return { value: (value as Record<string, unknown>)[field] };
}

