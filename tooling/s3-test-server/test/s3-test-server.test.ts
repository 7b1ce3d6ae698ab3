import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { isContinuousIntegration } from '@tooling/build-config/continuous-integration';
import { describe, expect, it } from 'vitest';
import { findFreePort, startS3TestServer } from '../index.mjs';
import { createTestBucket, createTestClient } from '../target.mjs';

function cephInstalled(): boolean {
  return ['/usr/bin/radosgw', '/usr/bin/ceph-mon', '/usr/bin/ceph-osd'].every((path) => existsSync(path));
}

function isRunningCephDaemon(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && ['ceph-mon', 'ceph-osd', 'radosgw'].includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

describe('findFreePort', () => {
  it('returns a port outside the ones to avoid', async () => {
    const first = await findFreePort();
    const second = await findFreePort([first]);
    expect(second).not.toBe(first);
    expect(first).toBeGreaterThan(0);
  });
});

// CI must run these: a missing Ceph there is a failure, not a skip.
describe.skipIf(!cephInstalled() && !isContinuousIntegration())('startS3TestServer', () => {
  it('runs two servers side by side on free ports, serves S3, and stop() kills every daemon by pid', async () => {
    const [first, second] = await Promise.all([startS3TestServer(), startS3TestServer()]);
    try {
      expect(first.endpoint).not.toBe(second.endpoint);
      expect(first.pids).toHaveLength(3);
      expect(first.pids.every(isRunningCephDaemon)).toBe(true);

      const bucket = await createTestBucket(first, { namePrefix: 'server-test' });
      const client = createTestClient(first);
      await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'hello', Body: 'world' }));
      const read = await client.send(new GetObjectCommand({ Bucket: bucket.name, Key: 'hello' }));
      expect(await read.Body?.transformToString()).toBe('world');
      client.destroy();
      await bucket.remove();
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
    for (const pid of [...first.pids, ...second.pids]) expect(isRunningCephDaemon(pid)).toBe(false);
    expect(existsSync(first.directory)).toBe(false);
    await first.stop(); // a second stop is harmless
  });

  it('kills the daemons when the process that started them is killed without stopping them', async () => {
    const indexPath = fileURLToPath(new URL('../index.mjs', import.meta.url));
    const script = `
      const { startS3TestServer } = await import(${JSON.stringify(indexPath)});
      const server = await startS3TestServer();
      process.stdout.write(JSON.stringify(server.pids) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pids = await new Promise<number[]>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('\n')) resolve(JSON.parse(output) as number[]);
      });
      child.once('exit', (code) => {
        reject(new Error(`the child exited with ${code} before starting Ceph`));
      });
    });
    expect(pids.every(isRunningCephDaemon)).toBe(true);
    // SIGKILL skips every 'exit' handler: only the watchdog can clean up.
    child.kill('SIGKILL');
    expect(await waitFor(() => !pids.some(isRunningCephDaemon), 15_000)).toBe(true);
  });

  it('stops the daemons on a normal exit without stop()', async () => {
    const indexPath = fileURLToPath(new URL('../index.mjs', import.meta.url));
    const script = `
      const { startS3TestServer } = await import(${JSON.stringify(indexPath)});
      const server = await startS3TestServer();
      process.stdout.write(JSON.stringify({ pids: server.pids, directory: server.directory }) + '\\n');
    `;
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      child.once('exit', (code) => {
        if (code === 0) resolve(text);
        else reject(new Error(`the child exited with ${code}`));
      });
    });
    const { pids, directory } = JSON.parse(output) as { pids: number[]; directory: string };
    expect(pids).toHaveLength(3);
    expect(await waitFor(() => !pids.some(isRunningCephDaemon), 5_000)).toBe(true);
    expect(existsSync(directory)).toBe(false);
  });

  it('rejects with the signal reason when aborted, leaving no daemon behind', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'abort-test-'));
    const directory = join(parent, 'ceph');
    const controller = new AbortController();
    // Late enough that the monitor (and maybe the OSD) already run.
    setTimeout(() => {
      controller.abort(new Error('test abort'));
    }, 400);
    await expect(startS3TestServer({ directory, signal: controller.signal })).rejects.toThrow('test abort');
    expect(await waitFor(() => processesUsing(directory).length === 0, 10_000)).toBe(true);
    rmSync(parent, { recursive: true, force: true });
  });
});

/** The live processes (daemons and CLI calls) whose command line names `directory` (their ceph.conf lives there). */
function processesUsing(directory: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
        return state !== 'Z' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(directory);
      } catch {
        return false;
      }
    });
}
