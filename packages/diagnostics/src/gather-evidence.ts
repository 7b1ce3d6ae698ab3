import { randomBytes } from 'node:crypto';
import {
  COORDINATOR_ROOT,
  parseLeaseRecord,
  parseWorkerRecord,
  type GlobalCoordinator,
  type Hub,
  type LeaderChangedEvent,
  type NamespaceKeys,
} from '@baton/coordinator-core';
import type { CoordinatorEnvironment } from '@baton/plugin';
import { bytesToText, listPages, probeStorage, sleep, type ListEntry, type ObjectStore } from '@baton/storage';
import {
  describeError,
  storeNow,
  type DescribedError,
  type Evidence,
  type InProcessEvidence,
  type LeaseSample,
  type NamespaceFolder,
  type RegistrationEvidence,
  type ScratchRoundTrip,
  type StorageCall,
  type Thresholds,
} from './evidence';
import { gatherStoredObjects } from './gather-stored-objects';
import type { ResourceSampler } from './resource-sampler';
import { readDateHeader } from './store-clock';

/** What {@link gatherEvidence} needs. */
export interface GatherOptions {
  /** The hub whose store (and coordinators) are examined. */
  hub: Hub;
  /** The namespace. */
  namespace: string;
  /** Its keys. */
  keys: NamespaceKeys;
  /** The namespace's coordinator in this process, if any. */
  coordinator: GlobalCoordinator | undefined;
  /** Whether to record in-process evidence (plugins, coordination, started coordinators). */
  inProcess: boolean;
  /** The sampling window. */
  window: { durationMs: number; samples: number };
  /** Limits the checks judge by. */
  thresholds: Thresholds;
  /** Clocks and timers. */
  environment: CoordinatorEnvironment;
  /** Takes listener, timer and memory samples. */
  resourceSampler: ResourceSampler;
  /** Check conditional writes with `probeStorage` (writes and deletes a few scratch objects). */
  probe: boolean;
  /** An HTTP(S) URL of the store whose `Date` header gives its clock. */
  dateHeaderUrl?: string;
  /** At most this many keys are listed under `plg_coordinator_global/` for the collision check (and per listing of the stored-object scans). */
  maxListedKeys: number;
  /** Plugin leases, queues and TTL collections to examine besides those found (see `DiagnoseOptions`). */
  named: { plugins: readonly string[]; queues: readonly string[]; ttlCollections: readonly string[] };
  /** Aborts the gathering. */
  signal?: AbortSignal;
}

/** Runs every storage request and sampling the checks need, and records what it saw. */
export async function gatherEvidence(options: GatherOptions): Promise<Evidence> {
  const { hub, keys, environment, signal } = options;
  const calls: StorageCall[] = [];
  const store = new RecordingStore(hub.client.store, environment, calls);

  const scratch = await scratchRoundTrip(store, keys, environment, signal);
  scratch.calls = calls.slice();
  // S3 keeps modification times in whole seconds, other stores in milliseconds: a fresh object
  // whose time is a whole second says which (wrongly one time in a thousand, on the safe side).
  const resolution = scratch.lastModified === undefined || scratch.lastModified % 1000 === 0 ? 1000 : 1;
  let storeClock: Evidence['storeClock'] = { source: 'local', offsetMs: 0, uncertaintyMs: 0, timestampResolutionMs: resolution };
  if (options.dateHeaderUrl !== undefined) {
    const reading = await readDateHeader(options.dateHeaderUrl, environment.clock, signal).catch(() => undefined);
    if (reading !== undefined) storeClock = { source: 'date-header', offsetMs: reading.offsetMs, uncertaintyMs: reading.uncertaintyMs, timestampResolutionMs: resolution };
  }
  if (storeClock.source === 'local' && scratch.lastModified !== undefined && scratch.writtenAtLocal !== undefined) {
    // The write's own duration adds to the error of comparing its time with ours.
    storeClock = {
      source: 'object-timestamp',
      offsetMs: Math.round(scratch.lastModified + resolution / 2 - scratch.writtenAtLocal),
      uncertaintyMs: Math.round(resolution / 2 + (scratch.writeDurationMs ?? 0) / 2),
      timestampResolutionMs: resolution,
    };
  }

  let probe: Evidence['probe'];
  if (options.probe && scratch.readBack === 'match') {
    try {
      probe = await probeStorage(store, {
        keyPrefix: `${keys.state.slice(0, keys.state.lastIndexOf('/') + 1)}.diagnostics-probe/`,
        signal,
        timers: environment.timers,
        random: environment.random,
      });
    } catch (error) {
      signal?.throwIfAborted();
      probe = { error: describeError(error) };
    }
  }

  const leaderEvents: LeaderChangedEvent[] = [];
  const onLeaderChanged = (event: LeaderChangedEvent): void => {
    leaderEvents.push(event);
  };
  options.coordinator?.on('leader:changed', onLeaderChanged);
  const samples: LeaseSample[] = [];
  try {
    const count = Math.max(1, options.window.samples);
    const interval = count > 1 ? options.window.durationMs / (count - 1) : 0;
    for (let index = 0; index < count; index += 1) {
      if (index > 0) await sleep(interval, signal, environment.timers);
      samples.push(await sampleLease(store, keys, options));
    }
  } finally {
    options.coordinator?.off('leader:changed', onLeaderChanged);
  }

  const registrations = await readRegistrations(store, keys, { toStoreTime: (wall) => storeNow({ storeClock }, wall), uncertaintyMs: storeClock.uncertaintyMs + storeClock.timestampResolutionMs }, environment, signal);
  const folders = await readFolders(store, options.maxListedKeys, signal);
  const storedObjects = await gatherStoredObjects({
    store,
    namespace: options.namespace,
    registrations,
    // In process, the hub names its plugins: their own leases are examined too.
    plugins: [...options.named.plugins, ...(options.inProcess ? hub.plugins.keys() : [])],
    queues: options.named.queues,
    ttlCollections: options.named.ttlCollections,
    maxKeys: options.maxListedKeys,
    ...(signal === undefined ? {} : { signal }),
  });

  let inProcess: InProcessEvidence | undefined;
  if (options.inProcess) {
    inProcess = {
      hubConnected: hub.isConnected(),
      ...(options.coordinator === undefined ? {} : { coordinator: options.coordinator }),
      started: await hub.startedCoordinators(),
      plugins: [...hub.plugins.values()],
      coordination: [...hub.coordination.entries()],
      leaderEvents,
    };
  }

  return {
    namespace: options.namespace,
    keys,
    config: hub.config,
    store: hub.client.description,
    storeClock,
    scratch,
    registrations,
    ...(probe === undefined ? {} : { probe }),
    samples,
    folders,
    ...(inProcess === undefined ? {} : { inProcess }),
    storedObjects,
    latenciesMs: calls.map((call) => call.durationMs),
    window: options.window,
    finishedAtWall: environment.clock.wallNow(),
    thresholds: options.thresholds,
  };
}

async function scratchRoundTrip(store: RecordingStore, keys: NamespaceKeys, environment: CoordinatorEnvironment, signal?: AbortSignal): Promise<ScratchRoundTrip> {
  // In the namespace's folder (so it needs exactly the coordinator's permissions), but neither the
  // lease record nor under workers/: no coordinator ever reads it.
  const folder = keys.state.slice(0, keys.state.lastIndexOf('/') + 1);
  const key = `${folder}.diagnostics-${randomBytes(6).toString('hex')}.json`;
  const first = `test-${randomBytes(4).toString('hex')}`;
  const second = `${first}-overwritten`;
  const result: ScratchRoundTrip = { key, calls: [], readBack: 'not-run', readAfterOverwrite: 'not-run', readAfterDelete: 'not-run' };
  const clock = environment.clock;
  const wallBefore = clock.wallNow();
  const started = clock.monotonicNow();
  if (!(await store.attempt(() => store.put(key, first, { signal })))) return result;
  result.writeDurationMs = clock.monotonicNow() - started;
  result.writtenAtLocal = (wallBefore + clock.wallNow()) / 2;

  const compare = async (expected: string): Promise<{ verdict: ScratchRoundTrip['readBack']; lastModified?: number }> => {
    let verdict: ScratchRoundTrip['readBack'] = 'failed';
    let lastModified: number | undefined;
    await store.attempt(async () => {
      const read = await store.get(key, { signal });
      lastModified = read?.lastModified?.getTime();
      verdict = read === undefined ? 'missing' : bytesToText(read.body) === expected ? 'match' : 'mismatch';
    });
    return { verdict, ...(lastModified === undefined ? {} : { lastModified }) };
  };
  const firstRead = await compare(first);
  result.readBack = firstRead.verdict;
  if (firstRead.lastModified !== undefined) result.lastModified = firstRead.lastModified;
  if (await store.attempt(() => store.put(key, second, { signal }))) result.readAfterOverwrite = (await compare(second)).verdict;
  await store.attempt(() => store.list({ prefix: keys.workersPrefix, limit: 1, signal }));
  if (await store.attempt(() => store.delete(key, { signal }))) {
    await store.attempt(async () => {
      result.readAfterDelete = (await store.get(key, { signal })) === undefined ? 'absent' : 'present';
    });
    if (result.readAfterDelete === 'not-run') result.readAfterDelete = 'failed';
  }
  return result;
}

async function sampleLease(store: RecordingStore, keys: NamespaceKeys, options: GatherOptions): Promise<LeaseSample> {
  const { coordinator, environment } = options;
  const inProcess: Partial<LeaseSample> = {};
  if (coordinator !== undefined) {
    inProcess.metrics = coordinator.getMetrics();
    inProcess.timersArmed = coordinator.heartbeatTimer !== null || coordinator.electionTimer !== null;
    inProcess.resources = options.resourceSampler(coordinator);
  }
  try {
    const stored = await store.get(keys.state, { signal: options.signal });
    const atMonotonic = environment.clock.monotonicNow();
    if (stored === undefined) return { atMonotonic, state: 'missing', ...inProcess };
    const parsed = parseLeaseRecord(stored.body);
    const lastModified = stored.lastModified?.getTime();
    const common = { atMonotonic, etag: stored.etag, ...(lastModified === undefined ? {} : { lastModified }), ...inProcess };
    return parsed.valid ? { ...common, state: 'valid', record: parsed.record } : { ...common, state: 'invalid', reason: parsed.reason };
  } catch (error) {
    options.signal?.throwIfAborted();
    return { atMonotonic: environment.clock.monotonicNow(), state: 'unreadable', error: describeError(error), ...inProcess };
  }
}

/**
 * Reads every registration of a namespace, with its age on the store's clock (`toStoreTime`
 * turns this host's wall clock into the store's; an age may be off by `uncertaintyMs`).
 */
export async function readRegistrations(
  store: ObjectStore,
  keys: NamespaceKeys,
  storeClock: { toStoreTime: (localWall: number) => number; uncertaintyMs: number },
  environment: CoordinatorEnvironment,
  signal?: AbortSignal,
): Promise<RegistrationEvidence[] | { error: DescribedError }> {
  try {
    const entries = await listAll(store, keys.workersPrefix, Number.POSITIVE_INFINITY, signal);
    const now = storeClock.toStoreTime(environment.clock.wallNow());
    const registrations: RegistrationEvidence[] = [];
    for (const entry of entries.entries) {
      const workerId = keys.workerIdFromKey(entry.key);
      if (workerId === undefined) continue;
      const stored = await store.get(entry.key, { signal });
      if (stored === undefined) continue; // removed since the listing
      const record = parseWorkerRecord(stored.body);
      const lastModified = (stored.lastModified ?? entry.lastModified)?.getTime();
      registrations.push({
        workerId,
        key: entry.key,
        ...(lastModified === undefined
          ? {}
          : { lastModified, ageMs: Math.max(0, Math.round(now - lastModified)), ageUncertaintyMs: Math.round(storeClock.uncertaintyMs) }),
        ...(record === undefined ? {} : { record }),
      });
    }
    return registrations;
  } catch (error) {
    signal?.throwIfAborted();
    return { error: describeError(error) };
  }
}

async function readFolders(store: RecordingStore, maxKeys: number, signal?: AbortSignal): Promise<Evidence['folders']> {
  try {
    const root = `${COORDINATOR_ROOT}/`;
    const listing = await listAll(store, root, maxKeys, signal);
    const folders = new Map<string, NamespaceFolder>();
    for (const entry of listing.entries) {
      const [name, ...rest] = entry.key.slice(root.length).split('/');
      // Dot-folders (.probe/, .diagnostics-*) are scratch space, never namespaces.
      if (name === undefined || name.startsWith('.') || rest.length === 0) continue;
      let folder = folders.get(name);
      if (folder === undefined) {
        folder = { name, registrations: [] };
        folders.set(name, folder);
      }
      const path = rest.join('/');
      if (path === 'state.json') {
        const stored = await store.get(entry.key, { signal });
        if (stored === undefined) continue;
        const parsed = parseLeaseRecord(stored.body);
        folder.lease = parsed.valid
          ? { valid: true, namespace: parsed.record.namespace, leader: parsed.record.leader, epoch: parsed.record.epoch }
          : { valid: false };
      } else if (rest.length === 2 && rest[0] === 'workers' && path.endsWith('.json')) {
        const stored = await store.get(entry.key, { signal });
        const record = stored === undefined ? undefined : parseWorkerRecord(stored.body);
        folder.registrations.push({ workerId: (rest[1] ?? '').slice(0, -'.json'.length), ...(record === undefined ? {} : { namespace: record.namespace }) });
      }
    }
    return { folders: [...folders.values()], truncated: listing.truncated };
  } catch (error) {
    signal?.throwIfAborted();
    return { error: describeError(error) };
  }
}

/** Lists up to `maxKeys` keys under `prefix`, page by page. */
export async function listAll(store: ObjectStore, prefix: string, maxKeys: number, signal?: AbortSignal): Promise<{ entries: ListEntry[]; truncated: boolean }> {
  const entries: ListEntry[] = [];
  for await (const page of listPages(store, { prefix, ...(signal === undefined ? {} : { signal }) })) {
    entries.push(...page.entries);
    if (entries.length >= maxKeys) return { entries: entries.slice(0, maxKeys), truncated: true };
  }
  return { entries, truncated: false };
}

/**
 * The hub's store, with every request timed and recorded: the latency check judges them, and
 * the access check reads their errors.
 */
class RecordingStore implements ObjectStore {
  readonly capabilities: ObjectStore['capabilities'];
  readonly description: string;
  readonly calls: StorageCall[];
  readonly #inner: ObjectStore;
  readonly #environment: CoordinatorEnvironment;

  constructor(inner: ObjectStore, environment: CoordinatorEnvironment, calls: StorageCall[]) {
    this.#inner = inner;
    this.#environment = environment;
    this.calls = calls;
    this.capabilities = inner.capabilities;
    this.description = inner.description;
  }

  get: ObjectStore['get'] = (key, options) => this.#record('get', key, () => this.#inner.get(key, options));
  put: ObjectStore['put'] = (key, body, options) => this.#record('put', key, () => this.#inner.put(key, body, options));
  delete: ObjectStore['delete'] = (key, options) => this.#record('delete', key, () => this.#inner.delete(key, options));
  list: ObjectStore['list'] = (options) => this.#record('list', options.prefix, () => this.#inner.list(options));

  /** Runs `work`; a failure is already recorded, so it only reports whether it succeeded. */
  async attempt(work: () => Promise<unknown>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch {
      return false;
    }
  }

  async #record<Result>(operation: StorageCall['operation'], key: string, call: () => Promise<Result>): Promise<Result> {
    const clock = this.#environment.clock;
    const started = clock.monotonicNow();
    try {
      const result = await call();
      this.calls.push({ operation, key, durationMs: clock.monotonicNow() - started });
      return result;
    } catch (error) {
      this.calls.push({ operation, key, durationMs: clock.monotonicNow() - started, error: describeError(error) });
      throw error;
    }
  }
}
