#!/usr/bin/env node
// @ts-check
// Starts or stops a local Ceph RGW for development: `pnpm s3:up` / `pnpm s3:down` at the repo root.
import process from 'node:process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_REGION,
  DEFAULT_SECRET_ACCESS_KEY,
  S3TestServerError,
  startS3TestServer,
  stopS3TestServer,
} from '../index.mjs';

const USAGE = `usage: s3-test-server up|down [DIR]

  up [DIR]    start a single-node Ceph RGW on 127.0.0.1:$RGW_PORT (default 7480), create the
              bucket "baton", and print the BATON_URL to use. Data lives in memory; DIR (default
              .baton-data/ceph in the repository) holds config, logs and pid files.
  down [DIR]  stop it (by the pid files in DIR/run) and wipe DIR.

Environment: RGW_PORT (7480), MON_PORT (6789), RGW_ACCESS_KEY (baton), RGW_SECRET_KEY (baton-secret),
BATON_BUCKET (baton).`;

// bin/ -> s3-test-server/ -> tooling/ -> the repository root.
const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEFAULT_DIRECTORY = resolve(REPOSITORY_ROOT, '.baton-data/ceph');

/**
 * @param {string[]} argv
 * @returns {Promise<number>} the exit code
 */
async function main(argv) {
  // The SDK warns on every run that its 2027 releases need Node 22; this tool pins its SDK version.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [command, directoryArgument, ...rest] = argv;
  if ((command !== 'up' && command !== 'down') || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const directory = resolve(directoryArgument ?? DEFAULT_DIRECTORY);
  return command === 'up' ? up(directory) : down(directory);
}

/**
 * @param {string} directory
 * @returns {Promise<number>}
 */
async function up(directory) {
  const rgwPort = parsePort('RGW_PORT', 7480);
  const monPort = parsePort('MON_PORT', 6789);
  const accessKeyId = process.env.RGW_ACCESS_KEY ?? DEFAULT_ACCESS_KEY_ID;
  const secretAccessKey = process.env.RGW_SECRET_KEY ?? DEFAULT_SECRET_ACCESS_KEY;
  const bucket = process.env.BATON_BUCKET ?? 'baton';

  // Checked here so the message can say what to do; ceph-up.sh would only show a daemon's bind error.
  for (const [name, port] of /** @type {const} */ ([['RGW_PORT', rgwPort], ['MON_PORT', monPort]])) {
    if (!(await isPortFree(port))) {
      process.stderr.write(
        `s3-test-server: 127.0.0.1:${port} (${name}) is already in use. If it is an earlier "up", stop it with ` +
          `"pnpm s3:down"; otherwise choose another port, e.g. ${name}=${port + 1} pnpm s3:up\n`,
      );
      return 1;
    }
  }

  const server = await startS3TestServer({ directory, rgwPort, monPort, accessKeyId, secretAccessKey, stopOnExit: false });
  const client = new S3Client({
    endpoint: server.endpoint,
    region: DEFAULT_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    client.destroy();
  }

  const batonUrl =
    `s3://${encodeURIComponent(accessKeyId)}:${encodeURIComponent(secretAccessKey)}@${bucket}` +
    `?endpoint=${server.endpoint}&forcePathStyle=true&region=${DEFAULT_REGION}`;
  process.stdout.write(
    [
      `S3 (Ceph RGW) is up on ${server.endpoint} with bucket "${bucket}"; pids ${server.pids.join(' ')}.`,
      `Objects live in memory and are lost on "pnpm s3:down". Logs: ${directory}/log`,
      '',
      'Use it with:',
      `BATON_URL=${batonUrl}`,
      '',
      'Run the S3 test suites against it (instead of a throwaway Ceph per suite) with:',
      `S3_TEST_ENDPOINT=${server.endpoint} S3_TEST_ACCESS_KEY=${accessKeyId} S3_TEST_SECRET_KEY=${secretAccessKey}`,
      '',
      `Stop it with: pnpm s3:down${directory === DEFAULT_DIRECTORY ? '' : ` ${directory}`}`,
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * @param {string} directory
 * @returns {Promise<number>}
 */
async function down(directory) {
  if (!existsSync(directory)) {
    process.stdout.write(`Nothing to stop: ${directory} does not exist.\n`);
    return 0;
  }
  await stopS3TestServer(directory);
  process.stdout.write(`Stopped the S3 server in ${directory} and removed the directory.\n`);
  return 0;
}

/**
 * @param {string} name
 * @param {number} fallback
 * @returns {number}
 */
function parsePort(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new S3TestServerError(`${name} must be a port number from 1 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

/**
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function isPortFree(port) {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolvePromise(true)));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (/** @type {unknown} */ error) => {
    process.stderr.write(`s3-test-server: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof S3TestServerError && error.missingTool) {
      process.stderr.write('Install Ceph with: apt-get install radosgw ceph-mon ceph-osd\n');
    }
    process.exitCode = 1;
  },
);
