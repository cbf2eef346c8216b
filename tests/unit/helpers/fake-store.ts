// idb-keyval stores backed by fake-indexeddb, one fresh database per test, and
// wrappers that make chosen writes fail the way a browser would.

import { IDBFactory } from 'fake-indexeddb';
import { promisifyRequest, type UseStore } from 'idb-keyval';

export function freshStore(): UseStore {
  const request = new IDBFactory().open('docker-lab');
  request.onupgradeneeded = () => request.result.createObjectStore('states');
  const db = promisifyRequest(request);
  return (txMode, callback) =>
    db.then((d) => callback(d.transaction('states', txMode).objectStore('states')));
}

/** Rejects the read-write transactions `shouldFail` picks (counted from 1) with `error()`; reads pass. */
export function failingWrites(store: UseStore, shouldFail: (writeIndex: number) => boolean, error: () => Error): UseStore {
  let writes = 0;
  return (txMode, callback) => {
    if (txMode === 'readwrite' && shouldFail(++writes)) return Promise.reject(error());
    return store(txMode, callback);
  };
}
