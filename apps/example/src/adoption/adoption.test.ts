// The adoption examples run as a reader would run them (tsx, in this workspace), on a fresh file
// store each, and print what their comments promise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToText, createStore } from '@baton/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../test-support/run-command';

const APP_DIRECTORY = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'baton-adoption-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runExample(file: string, store: string): ReturnType<typeof runCommand> {
  return runCommand(process.execPath, ['--import', 'tsx', `src/adoption/${file}`], {
    cwd: APP_DIRECTORY,
    env: { ...process.env, BATON_URL: `file://${store}` },
    timeoutMs: 60_000,
  });
}

describe('the adoption examples', () => {
  it('core only: elects itself on an empty store, writes with its epoch, and releases the lease', async () => {
    const store = join(scratch, 'core-only');
    const result = await runExample('core-only.ts', store);
    expect(result.code, result.stderr).toBe(0);
    const [, workerId, leader] = /^(gcs-default-\S+): the leader is (gcs-default-\S+) \(epoch 1\)$/m.exec(result.stdout) ?? [];
    expect(workerId).toBeDefined();
    expect(leader).toBe(workerId);
    expect(result.stdout).toContain('leading epoch 1: wrote example/last-leader.json');
    expect(result.stdout).toContain('leader changed: none (epoch 1)');
    const written = await (await createStore(`file://${store}`)).get('example/last-leader.json');
    expect(JSON.parse(bytesToText(written?.body ?? new Uint8Array()))).toEqual({ leader: workerId, epoch: 1 });

    // A second run finds the lease released (not left to expire): it leads at once, epoch 2.
    const second = await runExample('core-only.ts', store);
    expect(second.stdout).toMatch(/: the leader is gcs-default-\S+ \(epoch 2\)$/m);
  });

  it('core and queue: one job enqueued, processed and completed', async () => {
    const result = await runExample('core-and-queue.ts', join(scratch, 'core-and-queue'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('sending to a@example.com (attempt 1)');
    const [, enqueued, completed] = /^enqueued (\S+); completed (\S+)$/m.exec(result.stdout) ?? [];
    expect(enqueued).toBeDefined();
    expect(completed).toBe(enqueued);
  });

  it('full stack: a job completed, a TTL record expired and swept by the leader, a healthy in-process diagnosis', async () => {
    const store = join(scratch, 'full-stack');
    const result = await runExample('full-stack.ts', store);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('sending to a@example.com (attempt 1)');
    const [, enqueued, completed] = /^enqueued (\S+); completed (\S+)$/m.exec(result.stdout) ?? [];
    expect(enqueued).toBeDefined();
    expect(completed).toBe(enqueued);
    expect(result.stdout).toContain('set user:42 for 1 s; get: {"token":"abc"}');
    // The TTL plugin's own lease, numbered above the global term (epoch 1) it is held under.
    expect(result.stdout).toMatch(/^user:42 expired: deleted by the leader's sweep \(epoch 2\); get: nothing$/m);
    // A fresh store, one worker leading, its two plugins subscribed: nothing to report.
    expect(result.stdout).toMatch(/^diagnose: healthy \(in-process\), 0 findings$/m);
    // Deleted from the store by the sweep, not merely hidden by get().
    const records = await (await createStore(`file://${store}`)).list({ prefix: 'ttl/sessions/records/' });
    expect(records.entries).toEqual([]);
  });
});
