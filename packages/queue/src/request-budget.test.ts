import { CountingStore, MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { Queue } from './queue';
import { waitFor } from './test-support/freezable-timers';

describe('storage requests per completed job', () => {
  it('enqueue + claim + complete costs 5 requests per job plus amortised LISTs and batched marker deletes', async () => {
    const store = new CountingStore(new MemoryStore());
    const queue = new Queue({ store, name: 'budget', pollIntervalMs: 5_000, claimBatchSize: 50 });
    const jobs = 100;
    await queue.enqueueMany(Array.from({ length: jobs }, (_value, index) => ({ data: { index } })));
    expect(store.counts).toEqual({ get: 0, put: 2 * jobs, delete: 0, list: 0 }); // record + ready marker
    let completed = 0;
    queue.on('job:completed', () => {
      completed += 1;
    });
    const processor = queue.process(() => 'ok', { concurrency: 4 });
    await waitFor(() => completed === jobs, 10_000, 'every job');
    await processor.stop();
    const counts = { ...store.counts };
    // Per job: PUT record, PUT marker (enqueue); GET record, PUT record (CAS claim); PUT record (complete).
    // Plus one PUT per journal object of completed jobs (one per few seconds: here the one at stop).
    expect(counts.get).toBe(jobs);
    expect(counts.put - 4 * jobs).toBe(1);
    // The ready markers of claimed jobs go in batches (one deleteMany per claimBatchSize claims or
    // per 250 ms), and the ready index is listed once per claimBatchSize claims plus the final empty look.
    expect(counts.delete).toBeGreaterThanOrEqual(Math.ceil(jobs / 50));
    expect(counts.delete).toBeLessThanOrEqual(Math.ceil(jobs / 50) + 3);
    expect(counts.list).toBeLessThanOrEqual(Math.ceil(jobs / 50) + 2);
    expect(await store.list({ prefix: 'queues/budget/ready/' })).toEqual({ entries: [] });
    expect(store.total / jobs).toBeLessThanOrEqual(5.2);
  });
});
