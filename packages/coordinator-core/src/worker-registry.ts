import { bytesToText, isStorageError, listPages, type ObjectStore } from '@baton/storage';
import type { CoordinatorConfig } from './config';
import type { Clock } from '@baton/plugin';
import { isEpochInDomain } from './epoch-ledger';
import type { NamespaceKeys } from './storage-keys';

/** A worker's registration, `workers/<workerId>.json`. Wall-clock fields are informational. */
export interface WorkerRecord {
  /** Always `baton.worker/v1`. */
  format: 'baton.worker/v1';
  /** The worker id. */
  workerId: string;
  /** The namespace. */
  namespace: string;
  /** Host name of the process. */
  hostname: string;
  /** Process id. */
  pid: number;
  /** Wall clock at start. */
  startedAt: number;
  /** Wall clock of the last refresh, as the guide shows it. Never compared between hosts. */
  lastHeartbeat: number;
  /** Incremented on every refresh, so every refresh changes the record. */
  sequence: number;
  /** Whether the worker led when it last refreshed. */
  isLeader: boolean;
  /** The epoch it last saw. */
  epoch: number;
}

/** A registered worker as {@link WorkerRegistry.activeWorkers} reports it. */
export interface ActiveWorker extends Omit<WorkerRecord, 'format'> {
  /**
   * `alive`: its record changed within `workerTimeout` as observed here (or it is this worker).
   * `unconfirmed`: first seen just now; alive unless it stays unchanged for `workerTimeout`.
   */
  liveness: 'alive' | 'unconfirmed';
  /** How long, on this host's monotonic clock, its record has been seen unchanged. */
  unchangedForMs: number;
}

/** What {@link WorkerRegistry} needs. */
export interface WorkerRegistryOptions {
  store: ObjectStore;
  keys: NamespaceKeys;
  namespace: string;
  workerId: string;
  config: CoordinatorConfig;
  clock: Clock;
  hostname: string;
  pid: number;
}

interface Sighting {
  fingerprint: string;
  /** The ETag, where the listing gave one. */
  etag: string | undefined;
  firstSeenAt: number;
  changed: boolean;
}

/**
 * Worker registrations: each worker refreshes its own record every ¾ of `workerTimeout`, and
 * liveness is judged like leases are — a record that has not *changed* for `workerTimeout`, as
 * observed on this host's monotonic clock, is stale. No host's timestamp is compared with another's.
 */
export class WorkerRegistry {
  readonly #options: WorkerRegistryOptions;
  readonly #startedAt: number;
  readonly #sightings = new Map<string, Sighting>();
  #sequence = 0;
  #lastRegisteredAt: number | undefined;

  constructor(options: WorkerRegistryOptions) {
    this.#options = options;
    this.#startedAt = options.clock.wallNow();
  }

  /**
   * Whether this worker's record should be refreshed now. Checked once per heartbeat, so it is
   * refreshed one heartbeat early rather than late: no two refreshes are further apart than
   * {@link refreshInterval}, which leaves observers a quarter of `workerTimeout` to spare.
   */
  get isRefreshDue(): boolean {
    if (this.#lastRegisteredAt === undefined) return true;
    const elapsed = this.#options.clock.monotonicNow() - this.#lastRegisteredAt;
    return elapsed + this.#options.config.heartbeatInterval >= this.refreshInterval;
  }

  /** The longest time between two refreshes: ¾ of `workerTimeout`. */
  get refreshInterval(): number {
    return Math.floor(this.#options.config.workerTimeout * 0.75);
  }

  /** Writes (or refreshes) this worker's record. */
  async register(state: { isLeader: boolean; epoch: number }, signal?: AbortSignal): Promise<void> {
    const { clock, workerId, namespace, hostname, pid, keys, store } = this.#options;
    this.#sequence += 1;
    const record: WorkerRecord = {
      format: 'baton.worker/v1',
      workerId,
      namespace,
      hostname,
      pid,
      startedAt: this.#startedAt,
      lastHeartbeat: clock.wallNow(),
      sequence: this.#sequence,
      isLeader: state.isLeader,
      epoch: state.epoch,
    };
    await store.put(keys.worker(workerId), JSON.stringify(record), { signal });
    this.#lastRegisteredAt = clock.monotonicNow();
  }

  /** Removes this worker's record (on stop). */
  async unregister(signal?: AbortSignal): Promise<void> {
    await this.#options.store.delete(this.#options.keys.worker(this.#options.workerId), { signal });
    this.#lastRegisteredAt = undefined;
  }

  /**
   * Lists registrations (one LIST per page) and updates what this host has observed of each.
   * @returns the ids of workers whose record has not changed for `workerTimeout`.
   */
  async findStale(signal?: AbortSignal): Promise<string[]> {
    const entries = await this.#listRegistrations(signal);
    return entries.filter((entry) => this.#sight(entry) === 'stale').map((entry) => entry.workerId);
  }

  /**
   * Deletes the records of stale workers. Only the leader does this. Where the store enforces
   * conditional deletes, a record refreshed since it was judged stale is kept; elsewhere the
   * worker simply re-creates it at its next refresh.
   */
  async remove(workerIds: readonly string[], signal?: AbortSignal): Promise<void> {
    const { store, keys } = this.#options;
    for (const workerId of workerIds) {
      const etag = this.#sightings.get(workerId)?.etag;
      const condition = store.capabilities.conditionalDelete && etag !== undefined ? { ifMatch: etag } : {};
      try {
        await store.delete(keys.worker(workerId), { ...condition, signal });
      } catch (error) {
        if (!isStorageError(error, 'PRECONDITION_FAILED')) throw error;
      }
      this.#sightings.delete(workerId);
    }
  }

  /**
   * The highest epoch any registration reports: every leader registers right after it takes a
   * term, so this survives a lost or corrupted lease record.
   */
  async highestRegisteredEpoch(signal?: AbortSignal): Promise<number> {
    const entries = await this.#listRegistrations(signal);
    const epochs = await Promise.all(
      entries.map(async (entry) => {
        let stored;
        try {
          stored = await this.#options.store.get(this.#options.keys.worker(entry.workerId), { signal });
        } catch (error) {
          // A foreign object whose name no store may hold as a key (e.g. a backslash) is no
          // registration: it costs only itself. Any other failure leaves the floor unknown.
          if (isStorageError(error, 'INVALID_KEY')) return 0;
          throw error;
        }
        const record = stored === undefined ? undefined : parseWorkerRecord(stored.body);
        // An epoch outside the domain was not written by a term: garbage, ignored.
        return record !== undefined && isEpochInDomain(record.epoch) ? record.epoch : 0;
      }),
    );
    return Math.max(0, ...epochs);
  }

  /** Reads every registration and returns the workers not judged stale. */
  async activeWorkers(signal?: AbortSignal): Promise<ActiveWorker[]> {
    const entries = await this.#listRegistrations(signal);
    const active: ActiveWorker[] = [];
    for (const entry of entries) {
      const liveness = this.#sight(entry);
      if (liveness === 'stale') continue;
      const stored = await this.#options.store.get(this.#options.keys.worker(entry.workerId), { signal });
      const record = stored === undefined ? undefined : parseWorkerRecord(stored.body);
      if (record === undefined) continue;
      const { format: _format, ...fields } = record;
      const sighting = this.#sightings.get(entry.workerId) as Sighting;
      active.push({ ...fields, liveness, unchangedForMs: Math.round(this.#options.clock.monotonicNow() - sighting.firstSeenAt) });
    }
    return active;
  }

  async #listRegistrations(signal: AbortSignal | undefined): Promise<Registration[]> {
    const { store, keys } = this.#options;
    const registrations: Registration[] = [];
    for await (const page of listPages(store, { prefix: keys.workersPrefix, signal })) {
      for (const entry of page.entries) {
        const workerId = keys.workerIdFromKey(entry.key);
        if (workerId === undefined) continue;
        // The ETag where the store lists it; otherwise size and modification time, which also
        // change on every refresh (they are compared only with themselves, never with a clock).
        const fingerprint = entry.etag ?? `${entry.size}:${entry.lastModified?.getTime() ?? 0}`;
        registrations.push({ workerId, fingerprint, etag: entry.etag });
      }
    }
    return registrations;
  }

  #sight({ workerId, fingerprint, etag }: Registration): 'alive' | 'unconfirmed' | 'stale' {
    const now = this.#options.clock.monotonicNow();
    if (workerId === this.#options.workerId) {
      this.#sightings.set(workerId, { fingerprint, etag, firstSeenAt: this.#lastRegisteredAt ?? now, changed: true });
      return 'alive';
    }
    const previous = this.#sightings.get(workerId);
    if (previous === undefined) {
      this.#sightings.set(workerId, { fingerprint, etag, firstSeenAt: now, changed: false });
      return 'unconfirmed';
    }
    if (previous.fingerprint !== fingerprint) {
      this.#sightings.set(workerId, { fingerprint, etag, firstSeenAt: now, changed: true });
      return 'alive';
    }
    if (now - previous.firstSeenAt >= this.#options.config.workerTimeout) return 'stale';
    return previous.changed ? 'alive' : 'unconfirmed';
  }
}

interface Registration {
  workerId: string;
  fingerprint: string;
  etag: string | undefined;
}

/** Parses a registration, never throwing: `undefined` for anything that is not a `baton.worker/v1` record. */
export function parseWorkerRecord(body: Uint8Array): WorkerRecord | undefined {
  try {
    const value = JSON.parse(bytesToText(body)) as Partial<WorkerRecord>;
    return value.format === 'baton.worker/v1' && typeof value.workerId === 'string' ? (value as WorkerRecord) : undefined;
  } catch {
    return undefined;
  }
}
