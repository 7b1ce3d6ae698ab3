import { contentEtag, isStorageError, toBytes, type ObjectBody, type ObjectStore, type PutOptions } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { simulateCluster, type ClusterVariant, type InvariantViolation } from './simulate-cluster';

/** Runs seeds until one breaks an invariant; returns its violation (or undefined after `limit`). */
async function firstViolation(variant: ClusterVariant, limit: number): Promise<(InvariantViolation & { seed: number }) | undefined> {
  for (let seed = 1; seed <= limit; seed += 1) {
    const result = await simulateCluster({ seed, variant });
    const [violation] = result.violations;
    if (violation !== undefined) return { ...violation, seed };
  }
  return undefined;
}

/** A store client that reports a refused conditional write (412) as a success: "412 is a win". */
function treatsRefusalAsWin(store: ObjectStore): ObjectStore {
  return {
    capabilities: store.capabilities,
    description: store.description,
    get: (key, options) => store.get(key, options),
    delete: (key, options) => store.delete(key, options),
    list: (options) => store.list(options),
    async put(key: string, body: ObjectBody, options?: PutOptions) {
      try {
        return await store.put(key, body, options);
      } catch (error) {
        if (isStorageError(error, 'PRECONDITION_FAILED')) return { etag: contentEtag(toBytes(body)) };
        throw error;
      }
    },
  };
}

describe('the simulator catches broken variants', () => {
  it('a coordinator that treats a refused write (412) as a win elects two leaders', async () => {
    const violation = await firstViolation({ wrapStore: treatsRefusalAsWin }, 200);
    expect(violation, 'no seed exposed the broken variant').toBeDefined();
    expect(['single-leader', 'epoch-order', 'fencing']).toContain(violation?.invariant);
  }, 120_000);

  it('a coordinator that judges leases by the wall clock elects two leaders when clocks jump', async () => {
    const violation = await firstViolation(
      {
        wrapEnvironment: (environment) => ({
          ...environment,
          clock: { monotonicNow: () => environment.clock.wallNow(), wallNow: () => environment.clock.wallNow() },
        }),
      },
      200,
    );
    expect(violation, 'no seed exposed the broken variant').toBeDefined();
    expect(['single-leader', 'fencing', 'epoch-order']).toContain(violation?.invariant);
  }, 120_000);

  it('the real coordinator holds every invariant on the same seeds', async () => {
    expect(await firstViolation({}, 200)).toBeUndefined();
  }, 120_000);
});
