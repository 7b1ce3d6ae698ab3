import { isResetHolder, namespaceKeys, parseLeaseRecord, type Hub } from '@baton/coordinator-core';
import { systemEnvironment, type Clock } from '@baton/plugin';
import { certainlyOlderThan, describeError, type DescribedError } from './evidence';
import { readRegistrations } from './gather-evidence';
import { readDateHeader } from './store-clock';

/** One registered worker, as `baton status` / `baton workers` show it. */
export interface WorkerStatus {
  /** The worker id. */
  workerId: string;
  /** Its host, from its registration. */
  hostname: string | null;
  /** Its process id. */
  pid: number | null;
  /** Whether it holds the lease per the lease record. */
  leader: boolean;
  /** The epoch it last registered. */
  epoch: number | null;
  /** Age of its registration, on the store's clock where known. */
  ageMs: number | null;
  /** `alive`: refreshed within workerTimeout; `expired`: not; `unreadable`: the record does not parse. */
  status: 'alive' | 'expired' | 'unreadable';
}

/** A namespace at a glance: what `baton status --json` prints and `/status` serves. */
export interface StatusSnapshot {
  /** Always `baton.status/v1`. */
  format: 'baton.status/v1';
  /** The namespace. */
  namespace: string;
  /** The store's description (never with credentials). */
  store: string;
  /** `held` by a worker, `released`, `reset` by an operator, `missing` or `invalid`. */
  lease: 'held' | 'released' | 'reset' | 'missing' | 'invalid';
  /** The holder in the lease record. */
  leader: string | null;
  /** The epoch in the lease record. */
  epoch: number | null;
  /** The longer of the record's and the fleet's leaseTimeout. */
  leaseTimeout: number | null;
  /** Since the lease record last changed (renewal), on the store's clock. */
  leaseAgeMs: number | null;
  /** An estimate: leaseTimeout minus leaseAgeMs (what a follower would still wait if renewals stopped now). */
  leaseRemainingMs: number | null;
  /** Where ages come from: the store's `Date` header, or this host's clock (then skew adds to them). */
  clock: 'date-header' | 'local';
  /** The registered workers. */
  workers: WorkerStatus[];
  /** Set when the store could not be read. */
  error?: DescribedError;
}

/** Options for {@link readStatus}. */
export interface StatusOptions {
  /** The namespace. Default `default`. */
  namespace?: string;
  /** An HTTP(S) URL of the store whose `Date` header gives its clock (the CLI passes the S3 endpoint). */
  dateHeaderUrl?: string;
  /** This host's clock. Default: the real one. */
  clock?: Clock;
  /** Aborts the reads. */
  signal?: AbortSignal;
}

/** Reads the lease record and the registrations of a namespace. Read-only. */
export async function readStatus(hub: Hub, options: StatusOptions = {}): Promise<StatusSnapshot> {
  const namespace = options.namespace ?? 'default';
  const keys = namespaceKeys(namespace);
  const clock = options.clock ?? systemEnvironment.clock;
  const base = { format: 'baton.status/v1' as const, namespace, store: hub.client.description };
  let offsetMs = 0;
  let uncertaintyMs = 0;
  let clockSource: StatusSnapshot['clock'] = 'local';
  if (options.dateHeaderUrl !== undefined) {
    const reading = await readDateHeader(options.dateHeaderUrl, clock, options.signal).catch(() => undefined);
    if (reading !== undefined) {
      offsetMs = reading.offsetMs;
      // S3 keeps modification times in whole seconds.
      uncertaintyMs = reading.uncertaintyMs + 1000;
      clockSource = 'date-header';
    }
  }
  const storeNow = (): number => clock.wallNow() + offsetMs;
  const empty = { leader: null, epoch: null, leaseTimeout: null, leaseAgeMs: null, leaseRemainingMs: null, clock: clockSource, workers: [] };
  let stored;
  try {
    stored = await hub.client.get(keys.state, { signal: options.signal });
  } catch (error) {
    return { ...base, ...empty, lease: 'missing', error: describeError(error) };
  }
  const parsed = stored === undefined ? undefined : parseLeaseRecord(stored.body);
  const record = parsed?.valid === true ? parsed.record : undefined;
  const leaseAgeMs = stored?.lastModified === undefined ? null : Math.max(0, Math.round(storeNow() - stored.lastModified.getTime()));
  const leaseTimeout = record === undefined ? null : Math.max(record.leaseTimeout, hub.config.leaseTimeout);
  const registrations = await readRegistrations(hub.client, keys, { toStoreTime: (wall) => wall + offsetMs, uncertaintyMs }, { ...systemEnvironment, clock }, options.signal);
  const workers: WorkerStatus[] = Array.isArray(registrations)
    ? registrations.map((registration) => ({
        workerId: registration.workerId,
        hostname: registration.record?.hostname ?? null,
        pid: registration.record?.pid ?? null,
        leader: record?.leader === registration.workerId,
        epoch: registration.record?.epoch ?? null,
        ageMs: registration.ageMs ?? null,
        status:
          registration.record === undefined
            ? 'unreadable'
            : certainlyOlderThan(registration.ageMs, registration.ageUncertaintyMs, hub.config.workerTimeout)
              ? 'expired'
              : 'alive',
      }))
    : [];
  return {
    ...base,
    lease: stored === undefined ? 'missing' : record === undefined ? 'invalid' : record.leader === null ? 'released' : isResetHolder(record.leader) ? 'reset' : 'held',
    leader: record?.leader ?? null,
    epoch: record?.epoch ?? null,
    leaseTimeout,
    leaseAgeMs,
    leaseRemainingMs: leaseTimeout === null || leaseAgeMs === null || record?.leader == null ? null : Math.max(0, leaseTimeout - leaseAgeMs),
    clock: clockSource,
    workers,
    ...(Array.isArray(registrations) ? {} : { error: registrations.error }),
  };
}
