// `pnpm demo:s3`: the demo on a real S3. Starts a throwaway Ceph RGW on 127.0.0.1 (or uses
// S3_TEST_ENDPOINT, with S3_TEST_ACCESS_KEY / S3_TEST_SECRET_KEY / S3_TEST_REGION), creates a
// bucket, runs the demo with BATON_URL pointing at it, then removes the bucket and stops the
// server, by pid, whatever happened. Exits with the demo's exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openBenchS3Target } from '@tooling/test-support';

const DEMO_SCRIPT = fileURLToPath(new URL('./demo.ts', import.meta.url));

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const target = await openBenchS3Target('baton-demo');
if ('skipped' in target) {
  process.stderr.write(`baton demo:s3: no S3 to run on: ${target.skipped}\n`);
  process.exit(1);
}
process.stdout.write(`S3: ${target.description}\n`);
const demo = spawn(process.execPath, ['--import', 'tsx', DEMO_SCRIPT, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, BATON_URL: target.connectionString('') },
});
// Ctrl-C reaches the demo too (same process group); it stops its workers, then this stops the server.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
const exitCode = await new Promise<number>((resolve) => demo.once('exit', (code) => resolve(code ?? 1)));
await target.close();
process.exit(exitCode);
