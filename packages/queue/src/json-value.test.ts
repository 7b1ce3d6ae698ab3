import { describe, expect, it } from 'vitest';
import { InvalidJobDataError, JobDataTooLargeError } from './errors';
import { encodeJsonValue, MAX_JOB_DATA_BYTES } from './json-value';

describe('encodeJsonValue', () => {
  it('accepts plain JSON and returns its text', () => {
    expect(encodeJsonValue({ a: [1, 'two', null, true, { b: 1.5 }] })).toBe('{"a":[1,"two",null,true,{"b":1.5}]}');
    expect(encodeJsonValue(Object.assign(Object.create(null) as object, { x: 1 }))).toBe('{"x":1}');
  });

  it.each([
    [{ f: () => 1 }, '$.f'],
    [{ n: 1n }, '$.n'],
    [{ u: undefined }, '$.u'],
    [[1, Number.NaN], '$[1]'],
    [{ d: new Date(0) }, '$.d'],
    [{ 'odd key': Symbol('s') }, '$["odd key"]'],
    [new Map(), '$'],
  ])('rejects %o at %s', (value, path) => {
    expect(() => encodeJsonValue(value)).toThrow(InvalidJobDataError);
    try {
      encodeJsonValue(value);
    } catch (error) {
      expect((error as InvalidJobDataError).path).toBe(path);
    }
  });

  it('rejects cycles but accepts shared references', () => {
    const shared = { s: 1 };
    expect(() => encodeJsonValue({ a: shared, b: shared })).not.toThrow();
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(() => encodeJsonValue(cycle)).toThrow(/cycle/);
  });

  it('enforces the size limit in UTF-8 bytes', () => {
    expect(() => encodeJsonValue('é'.repeat(MAX_JOB_DATA_BYTES / 2))).toThrow(JobDataTooLargeError);
    expect(() => encodeJsonValue('x'.repeat(MAX_JOB_DATA_BYTES - 2))).not.toThrow();
  });
});
