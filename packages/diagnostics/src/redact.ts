import { parseConnectionString, redactConnectionString } from '@baton/storage';

/** Field names whose values are never shown. */
const SECRET_FIELD = /secret|password|passwd|token|credential|authorization|access.?key|session/i;
/** `scheme://user:password@` in any string. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@?#]*@/gi;
const MASK = '***';

/**
 * A deep copy of `value` that is safe to print: fields named like secrets are masked, passwords
 * in URLs are removed, and every string in `secrets` (an S3 secret key, a session token) is
 * masked wherever it appears, whatever the field is called.
 */
export function redactSecrets<Value>(value: Value, secrets: readonly string[] = []): Value {
  const known = secrets.filter((secret) => secret.length >= 4);
  const visit = (current: unknown, field: string | undefined): unknown => {
    if (typeof current === 'string') {
      if (field !== undefined && SECRET_FIELD.test(field)) return MASK;
      return redactText(current, known);
    }
    if (Array.isArray(current)) return current.map((item) => visit(item, undefined));
    if (current !== null && typeof current === 'object' && !(current instanceof Date)) {
      return Object.fromEntries(Object.entries(current).map(([key, item]) => [key, visit(item, key)]));
    }
    return current;
  };
  return visit(value, undefined) as Value;
}

/** `text` with URL credentials and every known secret masked. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let redacted = text.replace(URL_USERINFO, `$1${MASK}@`);
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    redacted = redacted.split(secret).join(MASK);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) redacted = redacted.split(encoded).join(MASK);
  }
  return redacted;
}

/**
 * The secrets a connection string and the environment carry (S3 keys, session tokens, the
 * password part of `BATON_URL`), to mask in any output.
 */
export function secretsOf(connectionString: string | undefined, environment: NodeJS.ProcessEnv = process.env): string[] {
  const secrets = new Set<string>();
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'S3_TEST_SECRET_KEY']) {
    const value = environment[name];
    if (value !== undefined && value !== '') secrets.add(value);
  }
  for (const candidate of [connectionString, environment.BATON_URL]) {
    if (candidate === undefined || candidate === '') continue;
    try {
      const parsed = parseConnectionString(candidate);
      if (parsed.kind === 's3' && parsed.options.credentials !== undefined) {
        secrets.add(parsed.options.credentials.secretAccessKey);
        secrets.add(parsed.options.credentials.accessKeyId);
        if (parsed.options.credentials.sessionToken !== undefined) secrets.add(parsed.options.credentials.sessionToken);
      }
    } catch {
      // An unparseable string: still mask what looks like a password in it.
      const password = /^[a-z0-9+.-]+:\/\/[^:/@]*:([^@/]+)@/i.exec(candidate)?.[1];
      if (password !== undefined) secrets.add(decodeURIComponentSafe(password));
    }
  }
  return [...secrets];
}

/** The connection string as it may be shown: without password or secret query parameters. */
export function displayConnectionString(connectionString: string): string {
  return redactConnectionString(connectionString);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
