import { describe, expect, it } from 'vitest';
import { isContinuousIntegration } from '../continuous-integration.js';

describe('isContinuousIntegration', () => {
  it.each(['true', '1', 'True', 'yes', 'woodpecker', ' TRUE '])('counts CI=%j as CI', (value) => {
    expect(isContinuousIntegration({ CI: value })).toBe(true);
  });

  it.each(['', '0', 'false', 'FALSE', ' false '])('does not count CI=%j as CI', (value) => {
    expect(isContinuousIntegration({ CI: value })).toBe(false);
  });

  it('does not count an unset CI as CI', () => {
    expect(isContinuousIntegration({})).toBe(false);
  });
});
