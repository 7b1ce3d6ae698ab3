/** Resolves once `condition()` holds, checking every 5 ms; rejects after `timeoutMs`. */
export function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`condition not met within ${timeoutMs} ms`));
      else setTimeout(check, 5);
    };
    check();
  });
}
