import { InvalidKeyError, type StorageOperation } from '../errors';

/**
 * How keys map to paths under the store's directory. Every segment but the last names a
 * directory (`<segment>.dir`), the last names a file (`<segment>.obj`). The suffixes keep the
 * key `a` (file `a.obj`) and the keys under `a/` (directory `a.dir`) apart, which a plain
 * mapping cannot, and keep every key away from the store's own `.baton-store` directory.
 * Segments are percent-encoded only where a file system would object.
 */
export const OBJECT_SUFFIX = '.obj';
/** The suffix of a directory that holds the keys under one segment. */
export const DIRECTORY_SUFFIX = '.dir';

// Longest file name on common file systems (ext4, APFS, NTFS count 255).
const MAX_FILE_NAME_BYTES = 255;

// '%' escapes itself; the rest are reserved on Windows and macOS file systems.
const NEEDS_ESCAPE = /[%<>:"|?*]/g;

/** Encodes one key segment as a file name stem. */
export function encodeSegment(segment: string): string {
  return segment.replace(NEEDS_ESCAPE, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Decodes a file name stem made by {@link encodeSegment}. */
export function decodeSegment(stem: string): string {
  return stem.replace(/%([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * The path segments, relative to the store directory, of a valid key, or (with `asDirectory`)
 * of the directory that holds the keys starting with `key + '/'`.
 *
 * @throws {InvalidKeyError} when a segment is too long to be a file name.
 */
export function keyToRelativePath(key: string, operation: StorageOperation, asDirectory = false): string[] {
  const segments = key.split('/');
  return segments.map((segment, index) => {
    const isObject = index === segments.length - 1 && !asDirectory;
    const name = encodeSegment(segment) + (isObject ? OBJECT_SUFFIX : DIRECTORY_SUFFIX);
    if (Buffer.byteLength(name, 'utf8') > MAX_FILE_NAME_BYTES) {
      throw new InvalidKeyError(
        key,
        `the segment ${JSON.stringify(segment.slice(0, 32))}… is too long for a file name (FileSystemStore allows ${MAX_FILE_NAME_BYTES - OBJECT_SUFFIX.length} bytes per segment)`,
        operation,
      );
    }
    return name;
  });
}
