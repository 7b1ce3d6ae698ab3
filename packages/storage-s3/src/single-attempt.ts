/**
 * The part of an SDK command this module touches. Declared here rather than imported from
 * `@smithy/types`, which is not a dependency of this package.
 */
interface CommandWithMiddleware {
  middlewareStack: {
    add(middleware: unknown, options: SdkRetrySlot): void;
  };
}

interface SdkRetrySlot {
  step: 'finalizeRequest';
  priority: 'high';
  name: string;
  tags: string[];
  override: true;
}

/** The SDK's own name and slot for its retry middleware: a same-named middleware there replaces it. */
const SDK_RETRY_SLOT: SdkRetrySlot = {
  step: 'finalizeRequest',
  priority: 'high',
  name: 'retryMiddleware',
  tags: ['RETRY'],
  override: true,
};

type Handler = (args: unknown) => Promise<unknown>;

// Passes the request straight on: one attempt, whatever the client's maxAttempts says.
const passThrough = (next: Handler): Handler => next;

/**
 * Makes `command` go out exactly once, even on a client configured with SDK retries (a client
 * passed in by the caller usually is). A conditional write must never be repeated behind our
 * back: if the first attempt was applied and its reply lost, the repeat would get 412 and a
 * winning writer would believe it lost. Idempotent calls are retried by `retryIdempotent`
 * instead, which honours the caller's AbortSignal while it waits.
 *
 * It replaces, for this command only, the middleware the SDK registers as `retryMiddleware`;
 * the tests check that a 503 reply is requested exactly once even from a retrying client.
 */
export function withoutSdkRetries<Command extends CommandWithMiddleware>(command: Command): Command {
  command.middlewareStack.add(passThrough, SDK_RETRY_SLOT);
  return command;
}
