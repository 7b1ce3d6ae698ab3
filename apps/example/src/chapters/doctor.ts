import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DEMO_NAMESPACE } from '../demo-options';
import { DemoStepError, type Chapter } from './chapter';

const TITLE = 'baton doctor';
// The findings the story itself causes: the SIGKILLed worker's registration outlives it until the
// leader prunes it (every 2 × workerTimeout). Anything else is a problem.
const EXPECTED_FINDING = 'worker-registration.expired';

/** The `baton` CLI's entry point, from @baton/diagnostics' `bin`. */
function batonCli(): string {
  const manifestPath = createRequire(import.meta.url).resolve('@baton/diagnostics/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: { baton: string } };
  return join(dirname(manifestPath), manifest.bin.baton);
}

/**
 * Runs the real `baton doctor` against the demo's store while the last worker still runs, prints
 * its report as it is, and checks its verdict: healthy, or warning only about the registration of
 * the worker the demo killed.
 */
export const doctorChapter: Chapter = {
  title: TITLE,
  async run({ options, narrator, cluster }) {
    const { heartbeatInterval, leaseTimeout, workerTimeout } = options.coordinator;
    const killed = new Set(cluster.workers.flatMap((worker) => (worker.killedAt !== undefined && worker.workerId !== undefined ? [worker.workerId] : [])));
    const arguments_ = [
      'doctor',
      '--namespace',
      DEMO_NAMESPACE,
      '--window',
      String(options.fast ? 1000 : 2000),
      '--samples',
      '3',
      '--heartbeat-interval',
      String(heartbeatInterval),
      '--lease-timeout',
      String(leaseTimeout),
      '--worker-timeout',
      String(workerTimeout),
    ];
    narrator.say(`running: baton ${arguments_.join(' ')} (BATON_URL is the demo's store)`);
    const { code, stdout, stderr } = await run(process.execPath, [batonCli(), ...arguments_], { ...process.env, BATON_URL: options.url });
    for (const line of stdout.trimEnd().split('\n')) narrator.say(`│ ${line}`);
    if (code !== 0 && code !== 1) throw new DemoStepError(TITLE, `baton doctor exited with ${String(code)}: ${stderr.trim() || stdout.trim()}`);
    const findings = [...stdout.matchAll(/^\s*[!✗x] \[(warning|error)\] (\S+)/gmu)].map((match) => ({ severity: match[1], id: match[2] as string }));
    const unexpected = findings.filter((finding) => finding.id !== EXPECTED_FINDING);
    if (unexpected.length > 0 || (code === 1 && findings.length === 0)) {
      throw new DemoStepError(TITLE, `baton doctor found problems the demo did not cause: ${unexpected.map((finding) => finding.id).join(', ') || `exit ${String(code)}`}`);
    }
    if (code === 0) {
      narrator.say('baton doctor: healthy (exit 0)');
      return;
    }
    const killedNames = [...killed].join(', ');
    if (!stdout.includes([...killed][0] ?? '\u0000')) throw new DemoStepError(TITLE, `baton doctor warned about an expired registration, but not of the killed worker (${killedNames})`);
    narrator.say(`baton doctor: one warning, as expected — the registration of the worker killed with SIGKILL (${killedNames}) has expired and waits for the leader to prune it (exit 1)`);
  },
};

function run(command: string, arguments_: readonly string[], environment: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, arguments_, { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}
