/**
 * Resolves once `condition()` holds (it may be async, e.g. a read of the store), checking every
 * 5 ms; rejects after `timeoutMs`, or when `condition` throws.
 */
export function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = async (): Promise<void> => {
      if (await condition()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`condition not met within ${timeoutMs} ms`));
      else setTimeout(() => void check().catch(reject), 5);
    };
    check().catch(reject);
  });
}
