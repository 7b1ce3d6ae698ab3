import { describe, expect, it } from 'vitest';
import { describeValue, findJsonProblem } from './json-value';

describe('findJsonProblem', () => {
  it('finds nothing in plain JSON, null-prototype objects and shared references', () => {
    expect(findJsonProblem({ a: [1, 'two', null, true, { b: 1.5 }] })).toBeUndefined();
    expect(findJsonProblem(Object.assign(Object.create(null) as object, { x: 1 }))).toBeUndefined();
    const shared = { s: 1 };
    expect(findJsonProblem({ a: shared, b: shared })).toBeUndefined();
  });

  it.each([
    [{ f: () => 1 }, '$.f', /function/],
    [{ n: 1n }, '$.n', /BigInt/],
    [{ u: undefined }, '$.u', /undefined/],
    [[1, Number.NaN], '$[1]', /finite/],
    [{ d: new Date(0) }, '$.d', /Date/],
    [{ 'odd key': Symbol('s') }, '$["odd key"]', /symbol/],
    [new Map(), '$', /Map/],
    [{ [Symbol('k')]: 1 }, '$', /symbol-keyed/],
  ])('finds the problem in %o at %s', (value, path, problem) => {
    const found = findJsonProblem(value);
    expect(found?.path).toBe(path);
    expect(found?.problem).toMatch(problem);
  });

  it('finds cycles', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(findJsonProblem({ list: cycle })).toEqual({ path: '$.list[0]', problem: 'the value contains a cycle' });
  });
});

describe('describeValue', () => {
  it('shows JSON where there is one, cut to the length asked for, and names the rest', () => {
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    expect(describeValue('x'.repeat(100), 80)).toBe(`"${'x'.repeat(76)}...`);
    expect(describeValue('x'.repeat(100))).toHaveLength(102);
    expect(describeValue(1n)).toBe('1n');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(describeValue(cycle)).toBe(String(cycle));
  });
});
