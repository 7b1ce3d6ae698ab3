import type { ObjectStore } from '@baton/storage';

/**
 * A store client that forwards every call to `store` except those in `overrides`: how the
 * scenario and the planted bugs change one operation of a worker's client.
 */
export function forwardingStore(store: ObjectStore, overrides: Partial<Pick<ObjectStore, 'get' | 'put' | 'delete' | 'list'>>): ObjectStore {
  return {
    capabilities: store.capabilities,
    description: store.description,
    get: overrides.get ?? ((key, options) => store.get(key, options)),
    put: overrides.put ?? ((key, body, options) => store.put(key, body, options)),
    delete: overrides.delete ?? ((key, options) => store.delete(key, options)),
    list: overrides.list ?? ((options) => store.list(options)),
  };
}
