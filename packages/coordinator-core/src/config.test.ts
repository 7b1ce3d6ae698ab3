import { describe, expect, it } from 'vitest';
import { CoordinatorConfigError, resolveCoordinatorConfig } from './config';

describe('resolveCoordinatorConfig', () => {
  it('applies the guide defaults', () => {
    expect(resolveCoordinatorConfig()).toEqual({
      heartbeatInterval: 5000,
      leaseTimeout: 15_000,
      renewDeadline: 10_000,
      workerTimeout: 20_000,
      pluginStopTimeout: 5000,
      diagnosticsEnabled: false,
      allowUnsafeStore: false,
    });
  });

  it("accepts the guide's own tunings", () => {
    expect(resolveCoordinatorConfig({ leaseTimeout: 20_000, workerTimeout: 25_000 }).renewDeadline).toBe(13_333);
    expect(resolveCoordinatorConfig({ leaseTimeout: 10_000, workerTimeout: 15_000 }).renewDeadline).toBe(6667);
  });

  it.each([
    [{ heartbeatInterval: 15_000 }, 'heartbeatInterval', /less than leaseTimeout/],
    [{ heartbeatInterval: 20_000 }, 'heartbeatInterval', /less than leaseTimeout/],
    [{ heartbeatInterval: 11_000 }, 'heartbeatInterval', /less than the renew deadline/],
    [{ renewDeadline: 14_000 }, 'renewDeadline', /at most 90% of leaseTimeout/],
    [{ workerTimeout: 10_000 }, 'workerTimeout', /at least leaseTimeout/],
    [{ leaseTimeout: -1 }, 'leaseTimeout', /positive whole number/],
    [{ heartbeatInterval: 1.5 }, 'heartbeatInterval', /positive whole number/],
    [{ heartbeatInterval: '5000' as unknown as number }, 'heartbeatInterval', /positive whole number/],
    [{ diagnosticsEnabled: 'yes' as unknown as boolean }, 'diagnosticsEnabled', /true or false/],
  ])('rejects %j, naming %s and the rule', (options, field, rule) => {
    let caught: unknown;
    try {
      resolveCoordinatorConfig(options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CoordinatorConfigError);
    expect((caught as CoordinatorConfigError).field).toBe(field);
    expect((caught as CoordinatorConfigError).code).toBe('INVALID_COORDINATOR_OPTIONS');
    expect((caught as CoordinatorConfigError).message).toMatch(rule);
    expect((caught as CoordinatorConfigError).message).toContain(`globalCoordinator.${field}`);
  });

  it('rejects a misspelt option, naming it and the nearest valid one', () => {
    expect(() => resolveCoordinatorConfig({ leaseTimout: 10_000 } as never)).toThrow(CoordinatorConfigError);
    expect(() => resolveCoordinatorConfig({ leaseTimout: 10_000 } as never)).toThrow(/globalCoordinator\.leaseTimout .*did you mean leaseTimeout/);
  });
});
