import { MemoryStore, type ObjectStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose } from '../test-support/hubs';

afterEach(disconnectAll);

/** A memory store that describes itself as an S3 bucket, as `@baton/storage-s3` does. */
function describedAsS3(inner: MemoryStore): ObjectStore {
  return {
    capabilities: inner.capabilities,
    description: 's3://fleet/team-a/ (http://127.0.0.1:7480)',
    get: (key, options) => inner.get(key, options),
    put: (key, body, options) => inner.put(key, body, options),
    delete: (key, options) => inner.delete(key, options),
    list: (options) => inner.list(options),
  };
}

describe('hand-edits', () => {
  it('notes on S3 stores that a hand edit of state.json can be reverted, and names the conditional recovery command', async () => {
    const store = describedAsS3(new MemoryStore());
    await (await hubOn(store)).getGlobalCoordinator();
    const report = await quickDiagnose(await hubOn(store));
    const note = findingOf(report, 'hand-edits.plain-put-may-be-reverted');
    expect(note.severity).toBe('info');
    expect(note.summary).toContain('Ceph RGW');
    expect(note.evidence.keys).toContain('plg_coordinator_global/default/state.json');
    expect(note.fix).toContain('baton reset-leader --yes');
    expect(report.exitCode).toBe(0); // a note, not a problem
  });

  it('says nothing on other stores', async () => {
    const store = new MemoryStore();
    await (await hubOn(store)).getGlobalCoordinator();
    const report = await quickDiagnose(await hubOn(store));
    expect(report.findings.filter((finding) => finding.check === 'hand-edits')).toEqual([]);
  });
});
