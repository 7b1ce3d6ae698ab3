// The packages as a user gets them: `pnpm pack` them (the tarballs npm would publish), install
// into an empty project ONLY the tarball of the package adopted plus those of the @baton packages
// its manifest depends on — the registry is unreachable, so nothing can come from anywhere else —
// and run plain ESM and CommonJS scripts that elect a leader (and process a job) on a file store.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainEnvironment, runCommand, type CommandResult } from './test-support/run-command';

const PACKAGES_DIRECTORY = fileURLToPath(new URL('../../../packages', import.meta.url));
const PACKED = ['storage', 'plugin', 'coordinator-core', 'queue'] as const;
const scratch = mkdtempSync(join(tmpdir(), 'baton-package-consumer-'));
const tarballDirectory = join(scratch, 'tarballs');
/** Tarball path by package name (`@baton/storage`, ...). */
const tarballs = new Map<string, string>();
/** The packed manifest's `dependencies` by package name. */
const dependencies = new Map<string, string[]>();

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectSuccess(result: CommandResult, what: string): void {
  expect(result.code, `${what} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
}

beforeAll(async () => {
  mkdirSync(tarballDirectory);
  for (const name of PACKED) {
    const directory = join(PACKAGES_DIRECTORY, name);
    if (!existsSync(join(directory, 'dist', 'index.js')) || !existsSync(join(directory, 'dist', 'index.cjs'))) {
      throw new Error(`packages/${name} is not built: run \`pnpm build\` first (turbo builds every dependency before this package's tests)`);
    }
    const before = new Set(readdirSync(tarballDirectory));
    expectSuccess(await runCommand('pnpm', ['pack', '--pack-destination', tarballDirectory], { cwd: directory, timeoutMs: 60_000 }), `pnpm pack in packages/${name}`);
    const tarball = readdirSync(tarballDirectory).find((file) => !before.has(file));
    if (tarball === undefined) throw new Error(`pnpm pack in packages/${name} wrote no tarball`);
    const path = join(tarballDirectory, tarball);
    const manifest = await runCommand('tar', ['-xzOf', path, 'package/package.json'], { cwd: scratch, timeoutMs: 30_000 });
    expectSuccess(manifest, `reading the manifest of ${tarball}`);
    const parsed = JSON.parse(manifest.stdout) as { name: string; dependencies?: Record<string, string> };
    tarballs.set(parsed.name, path);
    dependencies.set(parsed.name, Object.keys(parsed.dependencies ?? {}));
  }
});

/** The package and every @baton package its packed manifests depend on, transitively. */
function withDependencies(name: string): string[] {
  const found = new Set<string>();
  const visit = (current: string): void => {
    if (found.has(current)) return;
    found.add(current);
    for (const dependency of dependencies.get(current) ?? []) {
      if (!dependency.startsWith('@baton/')) throw new Error(`${current} depends on ${dependency}, which this test cannot install offline`);
      if (!tarballs.has(dependency)) throw new Error(`${current} depends on ${dependency}, which was not packed`);
      visit(dependency);
    }
  };
  visit(name);
  return [...found].sort();
}

/** An empty project with only `packages` installed from their tarballs, offline. */
async function consumerProject(label: string, packages: string[]): Promise<string> {
  const project = join(scratch, label);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `consumer-${label}`, version: '1.0.0', private: true }));
  const result = await runCommand(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--registry=http://127.0.0.1:9/', ...packages.map((name) => tarballs.get(name) ?? name)],
    { cwd: project, env: plainEnvironment({ npm_config_cache: join(scratch, 'npm-cache') }), timeoutMs: 90_000 },
  );
  expectSuccess(result, `npm install of ${packages.join(', ')}`);
  return project;
}

/** Runs a script of the project with plain `node` (no tsx, no NODE_PATH) and parses the JSON it prints last. */
async function runScript(project: string, file: string, source: string): Promise<Record<string, unknown>> {
  writeFileSync(join(project, file), source);
  const result = await runCommand(process.execPath, [file], { cwd: project, env: plainEnvironment(), timeoutMs: 60_000 });
  expectSuccess(result, `node ${file}`);
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

const ELECT_ESM = `
import { connect } from '@baton/coordinator-core';
const hub = await connect('file://./store-esm');
const coordinator = await hub.getGlobalCoordinator('default');
console.log(JSON.stringify({ module: import.meta.resolve('@baton/coordinator-core'), workerId: coordinator.workerId, leader: await coordinator.getLeader(), isLeader: coordinator.isLeader, epoch: coordinator.getEpoch() }));
await hub.disconnect();
`;

const ELECT_CJS = `
const { connect } = require('@baton/coordinator-core');
async function main() {
  const hub = await connect('file://./store-cjs');
  const coordinator = await hub.getGlobalCoordinator('default');
  console.log(JSON.stringify({ module: require.resolve('@baton/coordinator-core'), workerId: coordinator.workerId, leader: await coordinator.getLeader(), isLeader: coordinator.isLeader, epoch: coordinator.getEpoch() }));
  await hub.disconnect();
}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`;

const S3_WITHOUT_BACKEND = `
import { connect } from '@baton/coordinator-core';
try {
  await connect('s3://key:secret@bucket?endpoint=http://127.0.0.1:9');
  console.log(JSON.stringify({ error: null }));
} catch (error) {
  console.log(JSON.stringify({ error: error.name + ': ' + error.message }));
}
`;

const QUEUE_ESM = `
import { connect } from '@baton/coordinator-core';
import { QueuePlugin } from '@baton/queue';
const hub = await connect('file://./store-queue-esm');
const queue = new QueuePlugin({ name: 'consumer' });
await hub.usePlugin(queue);
const completed = new Promise((resolve) => queue.on('job:completed', resolve));
queue.process(async ({ data }) => ({ doubled: data.n * 2 }));
const id = await queue.enqueue({ n: 21 });
const event = await completed;
const job = await queue.getJob(id);
const coordinator = await hub.getGlobalCoordinator('default');
console.log(JSON.stringify({ module: import.meta.resolve('@baton/queue'), id, completed: event.id, state: job.state, result: job.result, isLeader: coordinator.isLeader, epoch: coordinator.getEpoch() }));
await hub.disconnect();
`;

const QUEUE_CJS = `
const { connect } = require('@baton/coordinator-core');
const { QueuePlugin } = require('@baton/queue');
async function main() {
  const hub = await connect('file://./store-queue-cjs');
  const queue = new QueuePlugin({ name: 'consumer' });
  await hub.usePlugin(queue);
  const completed = new Promise((resolve) => queue.on('job:completed', resolve));
  queue.process(async ({ data }) => ({ doubled: data.n * 2 }));
  const id = await queue.enqueue({ n: 21 });
  const event = await completed;
  const job = await queue.getJob(id);
  const coordinator = await hub.getGlobalCoordinator('default');
  console.log(JSON.stringify({ module: require.resolve('@baton/queue'), id, completed: event.id, state: job.state, result: job.result, isLeader: coordinator.isLeader, epoch: coordinator.getEpoch() }));
  await hub.disconnect();
}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`;

/** What the project's node_modules holds under @baton/ and whether the S3 SDK came along. */
function installed(project: string): { baton: string[]; awsSdk: boolean } {
  return {
    baton: readdirSync(join(project, 'node_modules', '@baton')).map((name) => `@baton/${name}`).sort(),
    awsSdk: existsSync(join(project, 'node_modules', '@aws-sdk')),
  };
}

describe('a project that installs only @baton/coordinator-core', () => {
  let project: string;
  beforeAll(async () => {
    project = await consumerProject('core-only', withDependencies('@baton/coordinator-core'));
  });

  it('gets the core, its own dependencies and nothing else (no S3 backend, no AWS SDK)', () => {
    expect(withDependencies('@baton/coordinator-core')).toEqual(['@baton/coordinator-core', '@baton/plugin', '@baton/storage']);
    expect(installed(project)).toEqual({ baton: ['@baton/coordinator-core', '@baton/plugin', '@baton/storage'], awsSdk: false });
  });

  it('elects a leader from plain ESM on a file:// store', async () => {
    const output = await runScript(project, 'elect.mjs', ELECT_ESM);
    expect(output.module).toBe(`file://${join(project, 'node_modules/@baton/coordinator-core/dist/index.js')}`);
    expect(output).toMatchObject({ leader: output.workerId, isLeader: true, epoch: 1 });
    expect(output.workerId).toMatch(/^gcs-default-/);
  });

  it('elects a leader from CommonJS on a file:// store', async () => {
    const output = await runScript(project, 'elect.cjs', ELECT_CJS);
    expect(output.module).toBe(join(project, 'node_modules/@baton/coordinator-core/dist/index.cjs'));
    expect(output).toMatchObject({ leader: output.workerId, isLeader: true, epoch: 1 });
  });

  it('says to install @baton/storage-s3 only when an s3:// store is asked for', async () => {
    const output = await runScript(project, 's3.mjs', S3_WITHOUT_BACKEND);
    expect(output.error).toMatch(/^StoreConfigurationError: s3:\/\/ connection strings need the package @baton\/storage-s3/);
  });
});

describe('a project that installs @baton/coordinator-core and @baton/queue', () => {
  let project: string;
  beforeAll(async () => {
    const wanted = [...new Set([...withDependencies('@baton/coordinator-core'), ...withDependencies('@baton/queue')])];
    project = await consumerProject('core-and-queue', wanted);
  });

  it('gets the two, their own dependencies and nothing else', () => {
    expect(installed(project)).toEqual({ baton: ['@baton/coordinator-core', '@baton/plugin', '@baton/queue', '@baton/storage'], awsSdk: false });
  });

  it('elects a leader and processes a job from plain ESM', async () => {
    const output = await runScript(project, 'queue.mjs', QUEUE_ESM);
    expect(output.module).toBe(`file://${join(project, 'node_modules/@baton/queue/dist/index.js')}`);
    expect(output).toMatchObject({ completed: output.id, state: 'completed', result: { doubled: 42 }, isLeader: true, epoch: 1 });
  });

  it('elects a leader and processes a job from CommonJS', async () => {
    const output = await runScript(project, 'queue.cjs', QUEUE_CJS);
    expect(output.module).toBe(join(project, 'node_modules/@baton/queue/dist/index.cjs'));
    expect(output).toMatchObject({ completed: output.id, state: 'completed', result: { doubled: 42 }, isLeader: true, epoch: 1 });
  });
});
