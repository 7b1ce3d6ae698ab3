import type {
  CoordinatorConfig,
  CoordinatorMetrics,
  GlobalCoordinator,
  HubPlugin,
  LeaderChangedEvent,
  LeaseRecord,
  NamespaceKeys,
  PluginCoordination,
  StartedCoordinator,
  WorkerRecord,
} from '@baton/coordinator-core';
import type { UnreadableObject } from '@baton/plugin';
import type { ProbeReport } from '@baton/storage';
import type { ResourceSample } from './resource-sampler';

/** An error as evidence: plain JSON, never the object (which may carry request details). */
export interface DescribedError {
  /** The error's class name. */
  name: string;
  /** The storage error code (`ACCESS_DENIED`, `UNAVAILABLE`, ...) when it is a storage error. */
  code?: string;
  /** The message. */
  message: string;
}

/** One storage request diagnostics made. */
export interface StorageCall {
  /** The operation. */
  operation: 'get' | 'put' | 'delete' | 'list';
  /** The key (the prefix, for a listing). */
  key: string;
  /** How long it took on this host's monotonic clock. */
  durationMs: number;
  /** Set when the request failed. */
  error?: DescribedError;
}

/** The guide's write-then-read test, on a scratch key in the namespace's folder. */
export interface ScratchRoundTrip {
  /** The scratch key (deleted afterwards). */
  key: string;
  /** Every request, in order. */
  calls: StorageCall[];
  /** Whether the first read returned the written bytes. */
  readBack: 'match' | 'mismatch' | 'missing' | 'failed' | 'not-run';
  /** Whether a read after an overwrite returned the new bytes. */
  readAfterOverwrite: 'match' | 'mismatch' | 'missing' | 'failed' | 'not-run';
  /** Whether a read after the delete found nothing. */
  readAfterDelete: 'absent' | 'present' | 'failed' | 'not-run';
  /** The store's modification time of the written object (its own clock), when it reports one. */
  lastModified?: number;
  /** This host's wall clock halfway through the write. */
  writtenAtLocal?: number;
  /** How long the write took (bounds the error of `lastModified - writtenAtLocal`). */
  writeDurationMs?: number;
}

/** One reading of the lease record (and, in process, of the coordinator). */
export interface LeaseSample {
  /** This host's monotonic clock when the read returned. */
  atMonotonic: number;
  /** What was found. */
  state: 'missing' | 'invalid' | 'valid' | 'unreadable';
  /** The record, when valid. */
  record?: LeaseRecord;
  /** Why an invalid record is invalid. */
  reason?: string;
  /** The record's ETag (a change means a renewal or a new term). */
  etag?: string;
  /** The store's modification time of the record. */
  lastModified?: number;
  /** Why it could not be read. */
  error?: DescribedError;
  /** The coordinator's metrics, when one runs in this process. */
  metrics?: CoordinatorMetrics;
  /** Whether any of the coordinator's timers was armed. */
  timersArmed?: boolean;
  /** Listener counts, handles and memory, when a coordinator runs in this process. */
  resources?: ResourceSample;
}

/** A worker registration as read from the store. */
export interface RegistrationEvidence {
  /** The worker id (from the key). */
  workerId: string;
  /** The registration's key. */
  key: string;
  /** The store's modification time. */
  lastModified?: number;
  /** How old it is on the store's clock (now on the store's clock minus `lastModified`). */
  ageMs?: number;
  /** How far off `ageMs` may be: the store clock's uncertainty, plus a second where the store keeps whole seconds. */
  ageUncertaintyMs?: number;
  /** The record, when it parses. */
  record?: WorkerRecord;
}

/** What was found under `plg_coordinator_global/`: every namespace folder and who writes there. */
export interface NamespaceFolder {
  /** The folder name: the namespace its keys belong to. */
  name: string;
  /** Its `state.json`, and the namespace written in it. */
  lease?: { valid: boolean; namespace?: string; leader?: string | null; epoch?: number };
  /** Its registrations, and the namespace written in each. */
  registrations: { workerId: string; namespace?: string }[];
}

/** Whose records a coordinator folder holds: a namespace's global coordinator, or a plugin's lease. */
export type EpochOwner = { namespace: string } | { plugin: string };

/** An epoch as a stored coordinator object writes it, whatever its value (the checks judge it). */
export interface StoredEpoch {
  /** Whose folder it is in. */
  owner: EpochOwner;
  /** `lease`: `state.json`'s `epoch`; `ledger`: `epoch.json`'s `highestEpoch`; `registration`: a registration's `epoch`. */
  kind: 'lease' | 'ledger' | 'registration';
  /** The object's key. */
  key: string;
  /** The value as stored (any JSON; `undefined` when the field is missing). */
  value: unknown;
}

/** The kinds of object the libraries set aside as unreadable, as `baton doctor` groups them. */
export type UnreadableKind = 'queue-job-records' | 'queue-markers' | 'queue-journal' | 'ttl-records' | 'ttl-markers' | 'worker-keys';

/** Unreadable objects of one kind in one queue, TTL collection or coordinator folder. */
export interface UnreadableGroup {
  /** The kind. */
  kind: UnreadableKind;
  /** The queue, collection, namespace (`namespace NAME`) or plugin lease (`plugin NAME`) they belong to. */
  owner: string;
  /** The folder scanned. */
  prefix: string;
  /** Every unreadable object found (the checks list the first few). */
  objects: UnreadableObject[];
  /** Whether the scan stopped at `maxListedKeys` (there may be more). */
  truncated: boolean;
}

/** What was found in the objects the libraries read (their epochs, and what they set aside). */
export interface StoredObjectsEvidence {
  /** The epochs of the namespace's and of every known plugin lease's records and registrations. */
  epochs: StoredEpoch[];
  /** Unreadable objects, by kind and owner (only non-empty groups). */
  unreadable: UnreadableGroup[];
  /** Folders that could not be scanned, and why. */
  errors: { prefix: string; error: DescribedError }[];
}

/** What the coordinator in this process looked like. */
export interface InProcessEvidence {
  /** `hub.isConnected()`. */
  hubConnected: boolean;
  /** The namespace's global coordinator in this process, if one was started. */
  coordinator?: GlobalCoordinator;
  /** Every coordinator the hub started. */
  started: StartedCoordinator[];
  /** Plugins installed on the hub. */
  plugins: HubPlugin[];
  /** `hub.coordination`: how each plugin gets its leadership. */
  coordination: [string, PluginCoordination][];
  /** `leader:changed` events the coordinator emitted during the window. */
  leaderEvents: LeaderChangedEvent[];
}

/** Everything the checks judge. Gathered once by {@link diagnose}; the checks only read it. */
export interface Evidence {
  /** The namespace diagnosed. */
  namespace: string;
  /** Its keys. */
  keys: NamespaceKeys;
  /** The hub's coordinator configuration (the fleet's timings). */
  config: CoordinatorConfig;
  /** The store's description. */
  store: string;
  /** How this host's wall clock relates to the store's. */
  storeClock: {
    source: 'date-header' | 'object-timestamp' | 'local';
    offsetMs: number;
    uncertaintyMs: number;
    /** The resolution of the store's modification times: 1000 where it keeps whole seconds (S3), else 1. */
    timestampResolutionMs: number;
  };
  /** The write-then-read round trip. */
  scratch: ScratchRoundTrip;
  /** The workers listing, or why it failed. */
  registrations: RegistrationEvidence[] | { error: DescribedError };
  /** The conditional-write probe, when it ran. */
  probe?: ProbeReport | { error: DescribedError };
  /** The lease (and coordinator) samples over the window, oldest first. */
  samples: LeaseSample[];
  /** Every namespace folder under `plg_coordinator_global/`, or why it could not be listed. */
  folders: { folders: NamespaceFolder[]; truncated: boolean } | { error: DescribedError };
  /** What the coordinator in this process looked like, when one runs here. */
  inProcess?: InProcessEvidence;
  /** Epochs of stored records, and the objects the libraries cannot read. */
  storedObjects: StoredObjectsEvidence;
  /** Durations of every storage request diagnostics made, in milliseconds. */
  latenciesMs: number[];
  /** The sampling window. */
  window: { durationMs: number; samples: number };
  /** This host's wall clock when gathering finished. */
  finishedAtWall: number;
  /** Options that tune the judgements. */
  thresholds: Thresholds;
}

/** Limits the checks judge by (all have defaults; see `DiagnoseOptions`). */
export interface Thresholds {
  /** Leader changes within the window from which they are "rapid" (the guide warns above 3). Default 3. */
  rapidLeaderChanges: number;
  /** Heap growth over the window that counts as a leak when it grows at nearly every sample. Default 32 MiB. */
  heapGrowthBytes: number;
  /** Listeners on one event above which Node warns of a leak. Default 10. */
  maxListenersPerEvent: number;
  /** Clock skew reported (for information) above this, in ms. Default 2000. */
  clockSkewMs: number;
}

/** Describes an error as plain JSON. */
export function describeError(error: unknown): DescribedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message };
  }
  return { name: 'Error', message: String(error) };
}

/** Whether an age exceeds `limitMs` even at the low end of its uncertainty. */
export function certainlyOlderThan(ageMs: number | undefined, uncertaintyMs: number | undefined, limitMs: number): boolean {
  return ageMs !== undefined && ageMs - (uncertaintyMs ?? 0) > limitMs;
}

/** Now on the store's clock, as far as it is known (see {@link Evidence.storeClock}). */
export function storeNow(evidence: Pick<Evidence, 'storeClock'>, localWallNow: number): number {
  return localWallNow + evidence.storeClock.offsetMs;
}
