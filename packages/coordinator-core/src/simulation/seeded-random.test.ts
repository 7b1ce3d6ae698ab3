import { describe, expect, it } from 'vitest';
import { SeededRandom, seededRandom } from './seeded-random';

function draw(random: () => number, count: number): number[] {
  return Array.from({ length: count }, () => random());
}

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed, and different ones for different seeds', () => {
    expect(draw(seededRandom(42), 100)).toEqual(draw(seededRandom(42), 100));
    expect(draw(seededRandom('scenario-7'), 100)).toEqual(draw(seededRandom('scenario-7'), 100));
    expect(draw(seededRandom(42), 10)).not.toEqual(draw(seededRandom(43), 10));
    expect(draw(seededRandom(1), 10)).not.toEqual(draw(seededRandom('1'), 10));
  });

  it('is pinned: these values must never change, or every recorded failing seed would replay differently', () => {
    const values = draw(seededRandom(1), 3).map((value) => value.toFixed(12));
    expect(values).toMatchInlineSnapshot(`
      [
        "0.523869955214",
        "0.371299072402",
        "0.896011329256",
      ]
    `);
  });

  it('draws uniformly from [0, 1)', () => {
    const random = seededRandom(7);
    const buckets = new Array<number>(10).fill(0);
    const count = 200_000;
    let sum = 0;
    let outOfRange = 0;
    for (let index = 0; index < count; index += 1) {
      const value = random();
      if (!(value >= 0 && value < 1)) outOfRange += 1;
      sum += value;
      buckets[Math.floor(value * 10)] = (buckets[Math.floor(value * 10)] ?? 0) + 1;
    }
    expect(outOfRange).toBe(0);
    expect(sum / count).toBeCloseTo(0.5, 2);
    for (const bucket of buckets) expect(Math.abs(bucket / count - 0.1)).toBeLessThan(0.005);
  });

  it('forks independent streams that do not depend on how much the parent drew', () => {
    const first = new SeededRandom(5);
    const second = new SeededRandom(5);
    draw(second.next, 1000);
    expect(draw(first.fork('store').next, 20)).toEqual(draw(second.fork('store').next, 20));
    expect(draw(first.fork('store').next, 20)).not.toEqual(draw(first.fork('process-1').next, 20));
    expect(draw(first.fork('store').next, 20)).not.toEqual(draw(first.next, 20));
  });

  it('has helpers that stay in range and cover it', () => {
    const random = new SeededRandom(11);
    const seen = new Set<number>();
    let outOfRange = 0;
    for (let index = 0; index < 10_000; index += 1) {
      const value = random.integer(-2, 3);
      if (!(Number.isInteger(value) && value >= -2 && value <= 3)) outOfRange += 1;
      seen.add(value);
      const between = random.between(10, 20);
      if (!(between >= 10 && between < 20)) outOfRange += 1;
    }
    expect(outOfRange).toBe(0);
    expect([...seen].sort((left, right) => left - right)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(random.integer(4, 4)).toBe(4);
    expect(['a', 'b', 'c']).toContain(random.pick(['a', 'b', 'c']));
    expect(random.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(random.exponential(100)).toBeGreaterThanOrEqual(0);
  });

  it('chance(0) never, chance(1) always, chance(p) about p of the time', () => {
    const random = new SeededRandom(3);
    let hits = 0;
    let wrong = 0;
    for (let index = 0; index < 100_000; index += 1) {
      if (random.chance(0) || !random.chance(1)) wrong += 1;
      if (random.chance(0.25)) hits += 1;
    }
    expect(wrong).toBe(0);
    expect(hits / 100_000).toBeCloseTo(0.25, 2);
  });

  it('rejects nonsense arguments', () => {
    const random = new SeededRandom(1);
    expect(() => random.pick([])).toThrow(RangeError);
    expect(() => random.integer(3, 2)).toThrow(RangeError);
    expect(() => random.integer(0.5, 2)).toThrow(RangeError);
    expect(() => random.chance(1.5)).toThrow(RangeError);
    expect(() => new SeededRandom(Number.NaN)).toThrow(RangeError);
  });
});
