import type { ObjectStore } from '@baton/storage';
import { parseLeaseRecord } from '../lease-record';
import { clearCorruptedState, forceReelection } from '../recovery';
import type { NamespaceKeys } from '../storage-keys';
import { encodeFencedRecord } from './fenced-leader-work';

/**
 * What an operator (or a tool, or a bug) does to a domain's records while workers run, all of it
 * from outside the fleet, as the troubleshooting guide's recovery procedures do:
 *
 * - `delete-record`: deletes `state.json` (the guide's "Stuck Leader" and "Corrupted State" recipes);
 * - `corrupt-record`: overwrites it with garbage by a plain PUT;
 * - `back-up-record` / `restore-record`: copies its bytes, later writes them back by a plain PUT
 *   (a byte-identical rewrite: the same content ETag as when it was copied). Where ETags are
 *   content hashes, a copy of the *live term's* record is not written back: a follower that saw
 *   the copy before cannot tell it from a lease nobody renewed (README: outside the guarantees);
 *   a copy from an earlier term is;
 * - `reset-leader`: `forceReelection` (`baton reset-leader` on a valid record);
 * - `clear-corrupted-state`: `clearCorruptedState` (`baton reset-leader` on a corrupt one);
 * - `plant-higher-epoch`: writes the leader work's fenced record under an epoch above every term
 *   (what a reset namespace's old data records look like to its new terms).
 */
export type OperatorActionKind = 'delete-record' | 'corrupt-record' | 'back-up-record' | 'restore-record' | 'reset-leader' | 'clear-corrupted-state' | 'plant-higher-epoch';

/** Every kind, for scenarios to draw from. */
export const OPERATOR_ACTION_KINDS: readonly OperatorActionKind[] = [
  'delete-record',
  'corrupt-record',
  'back-up-record',
  'restore-record',
  'reset-leader',
  'clear-corrupted-state',
  'plant-higher-epoch',
];

/** The domain an action works on. */
export interface OperatorTarget {
  /** The domain's election keys (namespace, or a plugin's `plg_<plugin>/coordinator/`). */
  keys: NamespaceKeys;
  /** The namespace (or plugin name) the keys are for. */
  namespace: string;
  /** The domain's fenced record. */
  fencedKey: string;
  /** The highest epoch claimed so far (for `plant-higher-epoch`). */
  highestEpoch: () => number;
}

/**
 * An operator with its own store client: it keeps each domain's backup between a
 * `back-up-record` and a `restore-record`.
 */
export class SimulatedOperator {
  readonly #store: ObjectStore;
  readonly #wallNow: () => number;
  readonly #leaseTimeout: number;
  readonly #backups = new Map<string, Uint8Array>();
  readonly #contentEtags: boolean;
  #actions = 0;

  /**
   * @param store the operator's client (subject to the scenario's faults, like any client)
   * @param leaseTimeout the fleet's longest `leaseTimeout`, as `baton reset-leader` is given it
   */
  constructor(store: ObjectStore, wallNow: () => number, leaseTimeout: number, etags: 'content' | 'opaque') {
    this.#store = store;
    this.#wallNow = wallNow;
    this.#leaseTimeout = leaseTimeout;
    this.#contentEtags = etags === 'content';
  }

  /** Actions begun. */
  get actions(): number {
    return this.#actions;
  }

  /**
   * Runs one action; resolves with what it did, for the trace (and the epoch planted, once it is
   * in the store). Failures (a race lost, a fault) are part of the scenario: reported, not thrown.
   */
  async run(kind: OperatorActionKind, target: OperatorTarget, amount: number): Promise<{ description: string; plantedEpoch?: number }> {
    const { description, plantedEpoch } = await this.#run(kind, target, amount);
    return plantedEpoch === undefined ? { description } : { description, plantedEpoch };
  }

  /** Whether the record now is of another term than `backup` (a copy from an earlier term). */
  async #termChangedSince(key: string, backup: Uint8Array): Promise<boolean> {
    const current = await this.#store.get(key);
    const now = current === undefined ? undefined : parseLeaseRecord(current.body);
    const then = parseLeaseRecord(backup);
    return now?.valid === true && then.valid && now.record.epoch !== then.record.epoch;
  }

  async #run(kind: OperatorActionKind, target: OperatorTarget, amount: number): Promise<{ description: string; plantedEpoch?: number }> {
    this.#actions += 1;
    const store = this.#store;
    const key = target.keys.state;
    try {
      switch (kind) {
        case 'delete-record':
          await store.delete(key);
          return { description: `deleted ${key}` };
        case 'corrupt-record':
          await store.put(key, '{"format":"baton.lease/1","leader":');
          return { description: `corrupted ${key}` };
        case 'back-up-record': {
          const current = await store.get(key);
          if (current === undefined) return { description: `nothing to back up at ${key}` };
          this.#backups.set(key, current.body);
          return { description: `backed up ${key}` };
        }
        case 'restore-record': {
          const backup = this.#backups.get(key);
          if (backup === undefined) return { description: `no backup of ${key}` };
          if (this.#contentEtags && !(await this.#termChangedSince(key, backup))) {
            return { description: `not restoring ${key}: the copy is of the live term, and ETags are content hashes` };
          }
          await store.put(key, backup);
          return { description: `restored ${key} from its backup` };
        }
        case 'reset-leader': {
          const result = await forceReelection(store, { namespace: target.namespace, keys: target.keys, leaseTimeout: this.#leaseTimeout, wallNow: this.#wallNow });
          return { description: `reset-leader on ${key}: ${result.outcome}${result.written === null ? '' : ` at epoch ${result.written.epoch}`}` };
        }
        case 'clear-corrupted-state': {
          const result = await clearCorruptedState(store, { namespace: target.namespace, keys: target.keys, leaseTimeout: this.#leaseTimeout, wallNow: this.#wallNow });
          return { description: `clear-corrupted-state on ${key}: ${result.outcome}` };
        }
        case 'plant-higher-epoch': {
          const epoch = target.highestEpoch() + 1 + Math.floor(amount * 1000);
          await store.put(target.fencedKey, encodeFencedRecord({ epoch, writer: 'operator', sequence: 0 }));
          return { description: `planted epoch ${epoch} in ${target.fencedKey}`, plantedEpoch: epoch };
        }
      }
    } catch (error) {
      return { description: `${kind} on ${key} failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
