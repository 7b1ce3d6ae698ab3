import { MemoryStore } from '@baton/storage';
import { describe, expect, it } from 'vitest';
import { Queue } from './queue';
import { CountingStore, waitFor } from './test-support/counting-store';

describe('storage requests per completed job', () => {
  it('enqueue + claim + complete costs at most 6 requests per job plus amortised LISTs', async () => {
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
    const counts = { ...store.counts };
    await processor.stop();
    // Per job: PUT record, PUT marker (enqueue); GET record, PUT record (CAS), DELETE marker (claim); PUT record (complete).
    expect(counts.get + counts.put + counts.delete).toBe(6 * jobs);
    const perJob = store.total / jobs;
    // LISTs of the ready index: one per claimBatchSize claims, plus the final empty one.
    expect(counts.list).toBeLessThanOrEqual(Math.ceil(jobs / 50) + 2);
    expect(perJob).toBeLessThanOrEqual(6.05);
  });
});
