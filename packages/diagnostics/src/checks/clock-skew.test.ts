import { createServer, type Server } from 'node:http';
import { MemoryStore, type ObjectStore } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, quickDiagnose, RELAXED, skippedReason } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);

/** A copy without the backend's modification time: what a store with no clock returns. */
function withoutClock<Value extends { lastModified?: Date }>(value: Value): Value {
  const copy = { ...value };
  delete copy.lastModified;
  return copy;
}

describe('clock-skew (information only)', () => {
  it("reports a store whose clock is an hour ahead, from its objects' modification times", async () => {
    const hub = await hubOn(new ScriptedStore({ lastModifiedShiftMs: 3_600_000 }), RELAXED);
    await hub.getGlobalCoordinator(); // a running worker: ages are judged on the store's clock alone
    const report = await quickDiagnose(hub);
    const finding = findingOf(report, 'clock-skew.skewed');
    expect(finding.severity).toBe('info');
    expect(finding.evidence.offsetMs).toBeGreaterThan(3_590_000);
    expect(report.exitCode).toBe(0);
  });

  it("reads the store's HTTP Date header when given its URL", async () => {
    const server: Server = createServer((_request, response) => {
      response.setHeader('Date', new Date(Date.now() - 120_000).toUTCString());
      response.statusCode = 403;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address() as { port: number };
      const report = await quickDiagnose(await hubOn(new MemoryStore()), { dateHeaderUrl: `http://127.0.0.1:${address.port}/` });
      const finding = findingOf(report, 'clock-skew.skewed');
      expect(finding.evidence.source).toBe('date-header');
      expect(finding.evidence.offsetMs).toBeLessThan(-118_000);
      expect(finding.evidence.offsetMs).toBeGreaterThan(-122_000);
    } finally {
      server.close();
    }
  });

  it('skips a store that reports no clock (no modification times, no Date header URL)', async () => {
    const inner = new MemoryStore();
    const store: ObjectStore = {
      capabilities: inner.capabilities,
      description: 'a store without modification times',
      get: async (key, options) => {
        const object = await inner.get(key, options);
        return object === undefined ? undefined : withoutClock(object);
      },
      put: (key, body, options) => inner.put(key, body, options),
      delete: (key, options) => inner.delete(key, options),
      list: async (options) => {
        const page = await inner.list(options);
        return { ...page, entries: page.entries.map(withoutClock) };
      },
    };
    const report = await quickDiagnose(await hubOn(store));
    expect(skippedReason(report, 'clock-skew')).toMatch(/reported no clock/);
    expect(report.findings.filter((entry) => entry.check === 'clock-skew')).toEqual([]);
  });
});
