/**
 * What a benchmark's `main` found wrong: one line per row that is OVER target, UNSAFE, missed
 * work or errored. Empty when every verdict held.
 */
export type BenchmarkFailures = readonly string[];

// The exit code of a benchmark whose rows did not all hold (distinct from 1, a crash of the script).
const BENCHMARK_FAILED_EXIT_CODE = 2;

/**
 * Runs a benchmark script's `main` and always `cleanUp` afterwards, also on SIGINT/SIGTERM (so no
 * worker or server it started outlives it), then exits: keep-alive sockets of S3 clients would
 * otherwise hold the process open for a while. Exit code 0 when every verdict held,
 * {@link BENCHMARK_FAILED_EXIT_CODE} when `main` reported failures (so that CI fails on a
 * regression, not only on a crash), 1 when `main` throws, 130 when interrupted.
 */
export async function runBenchmark(main: () => Promise<BenchmarkFailures>, cleanUp: () => Promise<void>): Promise<never> {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\n${signal}: stopping every worker and server started here...`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  let exitCode = 0;
  try {
    const failures = await main();
    if (failures.length > 0) {
      console.error(`\nFAILED: ${failures.length} verdict(s) did not hold:`);
      for (const failure of failures) console.error(`  - ${failure}`);
      exitCode = BENCHMARK_FAILED_EXIT_CODE;
    }
  } catch (error) {
    console.error(error);
    exitCode = 1;
  } finally {
    await cleanUp();
  }
  process.exit(exitCode);
}
