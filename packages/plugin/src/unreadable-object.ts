/**
 * An object under a plugin's prefix that the plugin cannot read, as its own scan of the store
 * reports it (the queue's and the TTL's `findUnreadable…Objects`; `baton doctor` lists them).
 */
export interface UnreadableObject {
  /** The object's key. */
  key: string;
  /** What is wrong with it, in the words of the plugin's validator. */
  reason: string;
  /** The version read, when it was read: delete only that version (`If-Match`). */
  etag?: string;
}

/** What a plugin's scan of its prefix found, and whether it stopped at its bound. */
export interface UnreadableObjectScan<Kind extends string> {
  /** The unreadable objects, by kind. */
  objects: Record<Kind, UnreadableObject[]>;
  /** How many keys were examined. */
  examined: number;
  /** Whether the scan stopped at its bound (`maxKeys`) before the end of the prefix. */
  truncated: boolean;
}
