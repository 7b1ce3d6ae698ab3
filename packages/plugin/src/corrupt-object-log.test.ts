import { describe, expect, it } from 'vitest';
import { CorruptObjectLog, type CorruptObjectReport } from './corrupt-object-log';
import type { Logger } from './logger';

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const ignore = (): void => undefined;
  return { logger: { debug: ignore, info: ignore, error: ignore, warn: (first: string | object, second?: string) => warnings.push(typeof first === 'string' ? first : (second ?? '')) }, warnings };
}

describe('CorruptObjectLog', () => {
  it('warns and reports each object version once, however often it is met, and counts them', () => {
    const { logger, warnings } = recordingLogger();
    const reports: CorruptObjectReport<Error>[] = [];
    const log = new CorruptObjectLog<Error>({ logger, label: '[test]', onReport: (report) => reports.push(report) });
    const problem = new Error('not JSON');
    expect(log.report('a', 'sweeping', problem, 'etag-1')).toBe(true);
    expect(log.report('a', 'sweeping', problem, 'etag-1')).toBe(false);
    expect(log.report('a', 'sweeping', problem, 'etag-2')).toBe(true); // rewritten: a new object version
    expect(log.report('b', 'claiming', problem)).toBe(true);
    expect(log.report('b', 'claiming', problem)).toBe(false);
    expect(log.count).toBe(3);
    expect(reports.map(({ key, context }) => `${key} ${context}`)).toEqual(['a sweeping', 'a sweeping', 'b claiming']);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toBe('[test]: sweeping: set aside a, which it cannot read (not JSON)');
  });

  it('forgets what it reported once it holds `capacity` objects, rather than grow without bound', () => {
    const { logger } = recordingLogger();
    const log = new CorruptObjectLog<Error>({ logger, label: '[test]', onReport: () => undefined, capacity: 2 });
    for (const key of ['a', 'b', 'c', 'a']) log.report(key, 'x', new Error('bad'));
    expect(log.count).toBe(4);
  });
});
