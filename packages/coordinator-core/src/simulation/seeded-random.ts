/** A source of uniform random numbers in [0, 1), in the shape of `Math.random`. */
export type RandomSource = () => number;

/** A seed: any number or string. Equal seeds give equal sequences, on every platform. */
export type Seed = number | string;

const TWO_TO_THE_32 = 4_294_967_296;

/**
 * A fast seeded pseudo-random generator (xoshiro128**, 128 bits of state) with the helpers a
 * simulation needs. Every draw is a pure function of the seed and the number of earlier draws, so
 * a scenario that draws in a deterministic order replays exactly from its seed.
 *
 * Give each component its own stream with {@link SeededRandom.fork}: then the store's fault
 * decisions do not shift when, say, a coordinator starts drawing one more number for jitter, and
 * a seed keeps reproducing the same faults while the code under test changes.
 */
export class SeededRandom {
  /** The seed this generator was created from. */
  readonly seed: Seed;

  /**
   * The next number in [0, 1). A bound function, so it can be handed out as a
   * {@link RandomSource} (e.g. `environment(random.next)`) without losing `this`.
   */
  readonly next: RandomSource;

  constructor(seed: Seed) {
    if (typeof seed === 'number' && !Number.isFinite(seed)) throw new RangeError(`A seed must be finite, got ${seed}`);
    this.seed = seed;
    this.next = xoshiro128StarStar(seedState(seed));
  }

  /**
   * An independent generator derived from this one's seed and `label`. It does not depend on how
   * many numbers this generator has drawn, so forks are stable however the parent is used.
   */
  fork(label: string | number): SeededRandom {
    return new SeededRandom(`${String(this.seed)}/${String(label)}`);
  }

  /** A float in [minimum, maximum). */
  between(minimum: number, maximum: number): number {
    return randomBetween(this.next, minimum, maximum);
  }

  /** An integer in [minimum, maximum], both ends included. */
  integer(minimum: number, maximum: number): number {
    return randomInteger(this.next, minimum, maximum);
  }

  /** True with probability `probability` (0 never, 1 always). Always draws exactly one number. */
  chance(probability: number): boolean {
    return randomChance(this.next, probability);
  }

  /** One element of `items`, each equally likely. */
  pick<T>(items: readonly T[]): T {
    return randomPick(this.next, items);
  }

  /** A copy of `items` in random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    return randomShuffle(this.next, items);
  }

  /** An exponentially distributed number with mean `mean`: waiting times between random events. */
  exponential(mean: number): number {
    return randomExponential(this.next, mean);
  }
}

/** Creates a seeded {@link RandomSource}: the bare function, for code that wants only `() => number`. */
export function seededRandom(seed: Seed): RandomSource {
  return new SeededRandom(seed).next;
}

/** A float in [minimum, maximum) drawn from `random`. */
export function randomBetween(random: RandomSource, minimum: number, maximum: number): number {
  if (!(maximum >= minimum)) throw new RangeError(`between(${minimum}, ${maximum}): maximum must be at least minimum`);
  return minimum + random() * (maximum - minimum);
}

/** An integer in [minimum, maximum] (both included) drawn from `random`. */
export function randomInteger(random: RandomSource, minimum: number, maximum: number): number {
  if (!Number.isSafeInteger(minimum) || !Number.isSafeInteger(maximum) || maximum < minimum) {
    throw new RangeError(`integer(${minimum}, ${maximum}): expected safe integers with maximum >= minimum`);
  }
  return minimum + Math.floor(random() * (maximum - minimum + 1));
}

/** True with probability `probability`, drawn from `random`. Always draws exactly one number, so
 * the streams of later draws do not depend on the probability. */
export function randomChance(random: RandomSource, probability: number): boolean {
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`chance(${probability}): a probability is in [0, 1]`);
  return random() < probability;
}

/** One element of `items`, each equally likely, drawn from `random`. */
export function randomPick<T>(random: RandomSource, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick(): cannot pick from an empty list');
  return items[Math.floor(random() * items.length)] as T;
}

/** A copy of `items` in an order drawn from `random`. */
export function randomShuffle<T>(random: RandomSource, items: readonly T[]): T[] {
  const shuffled = [...items];
  for (let index = shuffled.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    const held = shuffled[index] as T;
    shuffled[index] = shuffled[other] as T;
    shuffled[other] = held;
  }
  return shuffled;
}

/** An exponentially distributed number with mean `mean`, drawn from `random`. */
export function randomExponential(random: RandomSource, mean: number): number {
  if (!(mean >= 0)) throw new RangeError(`exponential(${mean}): the mean must be at least 0`);
  // 1 - random() is in (0, 1], so the logarithm is finite.
  return -Math.log(1 - random()) * mean;
}

/**
 * xoshiro128** (Blackman and Vigna): fast, passes BigCrush, 2^128 - 1 period. `Math.imul` and
 * `>>> 0` keep every step in exact 32-bit integer arithmetic.
 */
function xoshiro128StarStar(state: [number, number, number, number]): RandomSource {
  let [a, b, c, d] = state;
  return () => {
    const result = Math.imul(rotateLeft(Math.imul(b, 5), 7), 9);
    const shifted = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= shifted;
    d = rotateLeft(d, 11);
    return (result >>> 0) / TWO_TO_THE_32;
  };
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/**
 * Spreads a seed over 128 bits of state (cyrb128 over its string form, then splitmix32), so
 * that nearby seeds such as 1 and 2 give unrelated sequences and no seed gives the all-zero
 * state xoshiro cannot leave.
 */
function seedState(seed: Seed): [number, number, number, number] {
  const text = typeof seed === 'number' ? `n:${seed}` : `s:${seed}`;
  let h1 = 1_779_033_703;
  let h2 = 3_144_134_277;
  let h3 = 1_013_904_242;
  let h4 = 2_773_480_762;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    h1 = h2 ^ Math.imul(h1 ^ code, 597_399_067);
    h2 = h3 ^ Math.imul(h2 ^ code, 2_869_860_233);
    h3 = h4 ^ Math.imul(h3 ^ code, 951_274_213);
    h4 = h1 ^ Math.imul(h4 ^ code, 2_716_044_179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597_399_067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2_869_860_233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951_274_213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2_716_044_179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  let mix = (h1 ^ h2 ^ h3 ^ h4) >>> 0;
  const splitmix = (): number => {
    mix = (mix + 0x9e_37_79_b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85_eb_ca_6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2_b2_ae_35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const state: [number, number, number, number] = [
    (h1 ^ splitmix()) | 0,
    (h2 ^ splitmix()) | 0,
    (h3 ^ splitmix()) | 0,
    (h4 ^ splitmix()) | 0,
  ];
  if (state.every((word) => word === 0)) state[0] = 1;
  return state;
}
