import { contentEtag, isStorageError, toBytes, type ObjectBody, type PutOptions } from '@baton/storage';
import type { CoordinatorEnvironment, LeadershipSource } from '@baton/plugin';
import { forwardingStore } from './forwarding-store';
import type { ClusterVariant } from './simulate-cluster';

/**
 * Broken variants of the coordinator and of leader work, one per invariant the simulator checks:
 * `cluster-variants.test.ts` shows each is caught, by its own invariant. They are the evidence
 * that a check can fail; nothing outside the tests uses them.
 */

/** A store client that reports a refused conditional write (412) as a success: "412 is a win". */
export const treatsRefusalAsWin: ClusterVariant = {
  wrapStore: (store) =>
    forwardingStore(store, {
      async put(key: string, body: ObjectBody, options?: PutOptions) {
        try {
          return await store.put(key, body, options);
        } catch (error) {
          if (isStorageError(error, 'PRECONDITION_FAILED')) return { etag: contentEtag(toBytes(body)) };
          throw error;
        }
      },
    }),
};

/** A coordinator that judges leases by the wall clock, which jumps. */
export const judgesLeasesByWallClock: ClusterVariant = {
  wrapEnvironment: (environment) => ({
    ...environment,
    clock: { monotonicNow: () => environment.clock.wallNow(), wallNow: () => environment.clock.wallNow() },
  }),
};

/**
 * A coordinator that cannot see the namespace's history (epoch ledger, registrations): after
 * `state.json` is deleted it starts again from epoch 1.
 */
export const hidesNamespaceHistory: ClusterVariant = {
  wrapStore: (store) =>
    forwardingStore(store, {
      get: (key, options) => (key.endsWith('/epoch.json') ? Promise.resolve(undefined) : store.get(key, options)),
      // The ledger it cannot see, it overwrites.
      put: (key, body, options) => store.put(key, body, key.endsWith('/epoch.json') ? { signal: options?.signal } : options),
      list: async (options) => (options.prefix.endsWith('/workers/') ? { entries: [] } : store.list(options)),
    }),
};

/** Leader work that checks leadership once, before its slow step, and writes anyway. */
export const checksLeadershipOnlyAtStart: ClusterVariant = { leaderWorkFlaws: { checksOnlyAtStart: true } };

/** Leader work that leaves a record of a higher epoch as it is: its fence refuses every run. */
export const ignoresHigherEpochs: ClusterVariant = { leaderWorkFlaws: { ignoresHigherEpoch: true } };

/**
 * A coordinator whose followers read the lease record late (each read takes a lease timeout):
 * they take over long after a crashed leader's lease expired.
 */
export const readsLeaseLate: ClusterVariant = {
  wrapStore: (store, environment) =>
    forwardingStore(store, {
      get: async (key, options) => {
        if (key.endsWith('/state.json')) await delay(environment, 6000);
        return store.get(key, options);
      },
    }),
};

/**
 * A leadership signal aborted only by a timer, as before the signal checked the deadline when
 * read: after a stall, work that resumes before the timer runs sees it live.
 */
export const abortsSignalOnlyByTimer: ClusterVariant = {
  leadershipCheck: 'signal-only',
  wrapLeadership: (source) => {
    const signals = new WeakMap<AbortSignal, AbortSignal>();
    const wrapped: LeadershipSource = {
      namespace: source.namespace,
      workerId: source.workerId,
      get isLeader() {
        return source.isLeader;
      },
      getEpoch: () => source.getEpoch(),
      leadershipSignal: () => {
        const real = source.leadershipSignal();
        if (real === undefined) return undefined;
        let plain = signals.get(real);
        if (plain === undefined) {
          const controller = new AbortController();
          // The 'abort' event fires from the deadline's timer; nothing checks the deadline on read.
          real.addEventListener('abort', () => controller.abort(new Error('leadership ended')), { once: true });
          plain = controller.signal;
          signals.set(real, plain);
        }
        return plain;
      },
    };
    if (source.requestEpochAbove !== undefined) wrapped.requestEpochAbove = (epoch) => source.requestEpochAbove?.(epoch) ?? false;
    return wrapped;
  },
};

function delay(environment: CoordinatorEnvironment, milliseconds: number): Promise<void> {
  return new Promise((resolve) => environment.timers.setTimeout(resolve, milliseconds));
}
