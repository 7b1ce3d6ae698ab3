/** Options for {@link startS3TestServer}. */
export interface StartS3TestServerOptions {
  /** Where Ceph keeps config, data, logs and pid files. A fresh temporary directory when absent. Wiped by `stop()`. */
  directory?: string;
  /** Aborts the start: daemons already started are stopped and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The S3 port. A free loopback port when absent (either port absent: both are picked). */
  rgwPort?: number;
  /** The Ceph monitor port. A free loopback port when absent. */
  monPort?: number;
  /** The access key of the S3 user to create. Default `baton`. */
  accessKeyId?: string;
  /** The secret key of the S3 user to create. Default `baton-secret`. */
  secretAccessKey?: string;
  /**
   * Kill the daemons when this process exits without `stop()` (default true). The CLI turns it
   * off so that `s3-test-server up` leaves the server running for `down`.
   */
  stopOnExit?: boolean;
}

/** A running test server and how to reach it. */
export interface S3TestServer {
  /** The S3 endpoint, e.g. `http://127.0.0.1:41234`. Use path-style addressing. */
  endpoint: string;
  /** The region to sign with (RGW accepts any). */
  region: string;
  /** The access key of the server's S3 user. */
  accessKeyId: string;
  /** The secret key of the server's S3 user. */
  secretAccessKey: string;
  /** The directory holding the cluster's config, data, logs and pid files. */
  directory: string;
  /** The S3 port. */
  rgwPort: number;
  /** The monitor port. */
  monPort: number;
  /** The pids of the daemons (ceph-mon, ceph-osd, radosgw). */
  pids: number[];
  /** Stops the daemons (by pid), waits for them to exit and wipes `directory`. Safe to call twice. */
  stop(): Promise<void>;
}

/** An error from starting or stopping the test server. */
export declare class S3TestServerError extends Error {
  constructor(message: string, details?: { log?: string; missingTool?: boolean; cause?: unknown });
  /** The output of ceph-up.sh / ceph-down.sh (it ends with the tail of the failing daemon's log). */
  readonly log: string;
  /** Whether the failure was a missing Ceph package (install `radosgw ceph-mon ceph-osd`). */
  readonly missingTool: boolean;
}

/** The access key of the S3 user `ceph-up.sh` creates unless told otherwise: `baton`. */
export declare const DEFAULT_ACCESS_KEY_ID: string;
/** The secret key of the S3 user `ceph-up.sh` creates unless told otherwise: `baton-secret`. */
export declare const DEFAULT_SECRET_ACCESS_KEY: string;
/** The region every helper here signs with: `us-east-1`. */
export declare const DEFAULT_REGION: string;

/**
 * Starts a throwaway single-node Ceph RGW on free loopback ports in a fresh temporary directory.
 * Its daemons are killed if this process exits without `stop()`.
 *
 * @throws {S3TestServerError} when Ceph is not installed or a daemon fails to start.
 */
export declare function startS3TestServer(options?: StartS3TestServerOptions): Promise<S3TestServer>;

/** Stops a server started in `directory` by its pid files and wipes the directory. */
export declare function stopS3TestServer(directory: string): Promise<void>;

/** A TCP port on 127.0.0.1 that nothing listens on right now, other than those in `avoid`. */
export declare function findFreePort(avoid?: number[]): Promise<number>;
