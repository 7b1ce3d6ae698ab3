import { describe, expect, it } from 'vitest';
import { InvalidNamespaceError, namespaceKeys, pluginElectionKeys } from './storage-keys';

describe('namespaceKeys', () => {
  it('lays keys out exactly as the guide shows', () => {
    const keys = namespaceKeys('default');
    expect(keys.state).toBe('plg_coordinator_global/default/state.json');
    expect(keys.worker('gcs-default-1-abc')).toBe('plg_coordinator_global/default/workers/gcs-default-1-abc.json');
    expect(keys.workersPrefix).toBe('plg_coordinator_global/default/workers/');
  });

  it('reads the worker id back from a registration key, and nothing from other keys', () => {
    const keys = namespaceKeys('default');
    expect(keys.workerIdFromKey(keys.worker('gcs-default-1-abc'))).toBe('gcs-default-1-abc');
    expect(keys.workerIdFromKey('plg_coordinator_global/default/workers/nested/x.json')).toBeUndefined();
    expect(keys.workerIdFromKey('plg_coordinator_global/default/workers/x.txt')).toBeUndefined();
    expect(keys.workerIdFromKey(namespaceKeys('other').worker('w'))).toBeUndefined();
    expect(keys.workerIdFromKey(keys.state)).toBeUndefined();
  });

  it('keeps namespaces apart', () => {
    expect(namespaceKeys('namespace-a').state).toBe('plg_coordinator_global/namespace-a/state.json');
    expect(namespaceKeys('namespace-b').state).toBe('plg_coordinator_global/namespace-b/state.json');
    // No namespace's keys are a prefix of another's.
    expect(namespaceKeys('a').workersPrefix.startsWith('plg_coordinator_global/a/')).toBe(true);
    expect(namespaceKeys('ab').state.startsWith('plg_coordinator_global/a/')).toBe(false);
  });

  it.each(['', '..', '.hidden', 'a/b', 'a\\b', '../etc', 'x'.repeat(65), 'sp ace', 'ü'])('rejects %j', (namespace) => {
    expect(() => namespaceKeys(namespace)).toThrow(InvalidNamespaceError);
  });
});

describe('pluginElectionKeys', () => {
  it("puts a plugin's own election under plg_<plugin>/coordinator/", () => {
    expect(pluginElectionKeys('queue').state).toBe('plg_queue/coordinator/state.json');
  });

  it("refuses the one plugin name whose keys would be a global namespace's", () => {
    expect(namespaceKeys('coordinator').state).toBe('plg_coordinator_global/coordinator/state.json');
    expect(() => pluginElectionKeys('coordinator_global')).toThrow(InvalidNamespaceError);
  });
});
