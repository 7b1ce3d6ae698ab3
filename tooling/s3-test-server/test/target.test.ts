import { afterEach, describe, expect, it, type TestContext, vi } from 'vitest';
import { s3TestTarget, S3TestTargetError, skipUnlessManagedServer } from '../target.mjs';

// This package's own vitest config runs no globalSetup: exactly the misconfiguration s3TestTarget must not hide.

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

// A stand-in for context.skip, which would end the test that calls the helper.
function fakeSkip(): { skip: TestContext['skip']; calls: unknown[][] } {
  const skip = vi.fn();
  return { skip: skip as unknown as TestContext['skip'], calls: skip.mock.calls };
}

function captureStderr(): () => string {
  const writes = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return () => writes.mock.calls.map(([chunk]) => String(chunk)).join('');
}

describe('s3TestTarget without the globalSetup', () => {
  it('throws GLOBAL_SETUP_MISSING in CI, for any truthy CI', () => {
    vi.stubEnv('CI', '1');
    expect(() => s3TestTarget()).toThrow(S3TestTargetError);
    expect(() => s3TestTarget()).toThrow(expect.objectContaining({ code: 'GLOBAL_SETUP_MISSING' }));
    expect(() => s3TestTarget()).toThrow(/vitest-global-setup/);
  });

  it('warns on stderr and returns undefined outside CI', () => {
    vi.stubEnv('CI', 'false');
    const stderr = captureStderr();
    expect(s3TestTarget()).toBeUndefined();
    expect(stderr()).toContain("S3 TESTS WILL BE SKIPPED. No S3 test target: this package's vitest config does not run @tooling/s3-test-server/vitest-global-setup");
  });
});

describe('skipUnlessManagedServer', () => {
  const connection = { endpoint: 'http://127.0.0.1:7480', region: 'us-east-1', accessKeyId: 'key', secretAccessKey: 'secret' };

  it('lets the test run on the server the globalSetup started', (context) => {
    const stderr = captureStderr();
    const { skip, calls } = fakeSkip();
    skipUnlessManagedServer({ ...context, skip }, { ...connection, managed: true }, 'it checks RGW');
    expect(calls).toEqual([]);
    expect(stderr()).toBe('');
  });

  it('skips on S3_TEST_ENDPOINT with a warning naming the test, the endpoint and the reason', (context) => {
    const stderr = captureStderr();
    const { skip, calls } = fakeSkip();
    skipUnlessManagedServer({ ...context, skip }, { ...connection, managed: false }, 'it checks RGW');
    const note = 'needs the throwaway Ceph RGW, but S3_TEST_ENDPOINT points at http://127.0.0.1:7480: it checks RGW';
    expect(calls).toEqual([[note]]);
    expect(stderr()).toContain(`SKIPPED "skipUnlessManagedServer > skips on S3_TEST_ENDPOINT with a warning naming the test, the endpoint and the reason": ${note}`);
  });
});
