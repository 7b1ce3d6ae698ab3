import type { ObjectBody } from './object-store';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a body: strings are encoded as UTF-8, byte arrays are copied so later edits by the caller do not leak in. */
export function toBytes(body: ObjectBody): Uint8Array {
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return new Uint8Array(body);
  throw new TypeError(`An object body is a string or a Uint8Array, got ${typeof body}`);
}

/** Decodes a body as UTF-8, throwing on invalid bytes. */
export function bytesToText(body: Uint8Array): string {
  return decoder.decode(body);
}
