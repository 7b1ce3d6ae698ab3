/**
 * Runs a benchmark script's `main` and always `cleanUp` afterwards, also on SIGINT/SIGTERM (so no
 * worker or server it started outlives it), then exits: keep-alive sockets of S3 clients would
 * otherwise hold the process open for a while. Exit code 1 when `main` throws, 130 when interrupted.
 */
export async function runBenchmark(main: () => Promise<void>, cleanUp: () => Promise<void>): Promise<never> {
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
    await main();
  } catch (error) {
    console.error(error);
    exitCode = 1;
  } finally {
    await cleanUp();
  }
  process.exit(exitCode);
}
