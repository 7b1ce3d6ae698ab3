import { describe, expect, it } from 'vitest';
import { shuffleWithinPriority } from './processor';

describe('shuffleWithinPriority', () => {
  it('keeps priority order and every marker, and varies the order within a priority', () => {
    const markers = ['r/000-1-a', 'r/000-2-b', 'r/000-3-c', 'r/005-1-d', 'r/005-2-e', 'r/009-1-f'];
    const orders = new Set<string>();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let round = 0; round < 50; round += 1) {
      const shuffled = shuffleWithinPriority([...markers], 2, random);
      expect([...shuffled].sort()).toEqual(markers);
      expect(shuffled.map((marker) => marker.slice(2, 5))).toEqual(['000', '000', '000', '005', '005', '009']);
      orders.add(shuffled.join());
    }
    expect(orders.size).toBeGreaterThan(5);
  });
});
