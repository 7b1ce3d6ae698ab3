import { describe, expect, it } from 'vitest';
import { EpochFence } from './epoch-fence';

class StaleError extends Error {
  constructor(
    readonly epoch: number,
    readonly highestEpoch: number,
  ) {
    super(`stale ${epoch} < ${highestEpoch}`);
  }
}

describe('EpochFence', () => {
  it('admits equal and newer epochs and refuses older ones', () => {
    const fence = new EpochFence((epoch, highest) => new StaleError(epoch, highest));
    fence.admit(2);
    fence.admit(2);
    fence.admit(5);
    expect(fence.highestEpoch).toBe(5);
    expect(() => fence.admit(4)).toThrow(StaleError);
    expect(() => fence.admit(4)).toThrow('stale 4 < 5');
  });

  it('learns newer epochs from records, refusing the work that read them', () => {
    const fence = new EpochFence((epoch, highest) => new StaleError(epoch, highest));
    fence.admit(3);
    fence.checkRecord(3, 3);
    fence.checkRecord(1, 3);
    expect(() => fence.checkRecord(7, 3)).toThrow('stale 3 < 7');
    expect(() => fence.admit(6)).toThrow('stale 6 < 7');
    fence.admit(7);
  });
});
