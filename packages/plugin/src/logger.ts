/** A log method in pino's shape: `(message)` or `(object, message)`. */
export interface LogMethod {
  (message: string): void;
  (context: object, message: string): void;
}

/** The logger baton writes to: pino, or anything with the same four methods. */
export interface Logger {
  /** Detailed progress (every heartbeat). */
  debug: LogMethod;
  /** Notable events (leader changes, start, stop). */
  info: LogMethod;
  /** Something is wrong but handled. */
  warn: LogMethod;
  /** Something failed. */
  error: LogMethod;
}

const ignore: LogMethod = () => undefined;

/** The default logger: says nothing. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/**
 * A logger that writes plain lines to the console, used when `diagnosticsEnabled` is on and no
 * logger was given: the lines are exactly those of the troubleshooting guide.
 */
export const consoleLogger: Logger = {
  debug: (first: string | object, second?: string) => {
    console.debug(second ?? first);
  },
  info: (first: string | object, second?: string) => {
    console.info(second ?? first);
  },
  warn: (first: string | object, second?: string) => {
    console.warn(second ?? first);
  },
  error: (first: string | object, second?: string) => {
    console.error(second ?? first);
  },
};
