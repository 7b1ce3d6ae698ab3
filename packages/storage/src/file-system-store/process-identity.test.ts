import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { currentProcessIdentity, isProcessAlive } from './process-identity';

const onLinux = process.platform === 'linux';

describe('isProcessAlive', () => {
  it.runIf(onLinux)('counts a killed but unreaped holder (a zombie) as dead', async () => {
    // The shell starts a background sleep, prints its pid, then becomes a parent that never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 60 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (data: Buffer) => resolve(Number(String(data).trim()))));
      const self = currentProcessIdentity();
      const holder = { pid, host: self.host, ...(self.boot === undefined ? {} : { boot: self.boot }) };
      expect(isProcessAlive(holder)).toBe(true);
      process.kill(pid, 'SIGKILL');
      const isZombie = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true;
      for (let attempt = 0; attempt < 100 && !isZombie(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(isZombie()).toBe(true);
      expect(isProcessAlive(holder)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
