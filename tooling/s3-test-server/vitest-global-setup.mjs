// @ts-check
import process from 'node:process';
import { isContinuousIntegration } from '@tooling/build-config/continuous-integration';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY, S3TestServerError, startS3TestServer } from './index.mjs';

/** @typedef {import('./target.d.mts').S3TestTarget} S3TestTarget */

/**
 * A vitest `globalSetup` that gives the test files of a package one S3 endpoint to share, read in
 * tests with `s3TestTarget()` from `@tooling/s3-test-server/target`:
 *
 * - `S3_TEST_ENDPOINT` set: that endpoint, with `S3_TEST_ACCESS_KEY`, `S3_TEST_SECRET_KEY` and
 *   `S3_TEST_REGION` (defaults: `baton`, `baton-secret`, `us-east-1`), e.g. from `pnpm s3:up`;
 * - otherwise a throwaway Ceph RGW on free ports, stopped (by pid) at teardown.
 *
 * When Ceph cannot be started, CI (`CI` set to anything but `''`, `0` or `false`) fails the run:
 * S3 tests must never be skipped there without anyone noticing. Elsewhere it prints a loud
 * warning and provides `null`, so suites written with `describe.skipIf(!target)` skip.
 *
 * @param {import('vitest/node').TestProject} project
 * @returns {Promise<() => Promise<void>>} the teardown
 */
export default async function setup(project) {
  const endpoint = process.env.S3_TEST_ENDPOINT;
  if (endpoint !== undefined && endpoint !== '') {
    /** @type {S3TestTarget} */
    const target = {
      endpoint: endpoint.replace(/\/+$/, ''),
      region: process.env.S3_TEST_REGION ?? DEFAULT_REGION,
      accessKeyId: process.env.S3_TEST_ACCESS_KEY ?? DEFAULT_ACCESS_KEY_ID,
      secretAccessKey: process.env.S3_TEST_SECRET_KEY ?? DEFAULT_SECRET_ACCESS_KEY,
      managed: false,
    };
    project.provide('s3', target);
    return async () => {};
  }

  /** @type {import('./index.d.mts').S3TestServer} */
  let server;
  try {
    server = await startS3TestServer();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (isContinuousIntegration()) {
      throw new S3TestServerError(
        `CI=${process.env.CI ?? ''} and the S3 test server could not be started, so the S3 tests cannot run; failing instead of skipping them.\n` +
          `Install Ceph (apt-get install radosgw ceph-mon ceph-osd) in .ci/run, or set S3_TEST_ENDPOINT.\n${reason}`,
        { cause: error },
      );
    }
    process.stderr.write(loudWarning(reason));
    project.provide('s3', null);
    return async () => {};
  }

  project.provide('s3', {
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    managed: true,
  });
  return () => server.stop();
}

/**
 * @param {string} reason
 * @returns {string}
 */
function loudWarning(reason) {
  const rule = '!'.repeat(78);
  return [
    '',
    rule,
    '!!  S3 TESTS WILL BE SKIPPED: the throwaway Ceph RGW could not be started.',
    '!!',
    ...reason
      .split('\n')
      .slice(0, 30)
      .map((line) => `!!    ${line}`),
    '!!',
    '!!  To run them, either install Ceph (Debian/Ubuntu, as root):',
    '!!      apt-get install radosgw ceph-mon ceph-osd',
    '!!  or point the tests at a running S3-compatible store:',
    '!!      pnpm s3:up   # then, with the values it prints:',
    '!!      S3_TEST_ENDPOINT=http://127.0.0.1:7480 S3_TEST_ACCESS_KEY=baton-test-key S3_TEST_SECRET_KEY=baton-secret pnpm test',
    '!!  (In CI, with CI set to anything but "", 0 or false, this is a failure.)',
    rule,
    '',
    '',
  ].join('\n');
}
