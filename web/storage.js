// The IndexedDB mirror of wgzero's files in a browser tab (src/storage/indexed_db.rs is
// the Rust side). One object store, keyed by the normalised path ("runs/a/metrics.jsonl"),
// holding {data: Uint8Array, or null for a directory, modified: ms since 1970}.
//
// Every change is its own readwrite transaction, created in call order, so IndexedDB
// applies them in that order. Transactions ask for strict durability: they complete once
// the data is on disk, as the fsync they stand for. A failure is logged here and
// rejects the promise with a message the app can show.

const DATABASE = "wgzero-storage";
const STORE = "files";

let opened = null;

/** The database, opened (and created) on first use. */
function database() {
  if (opened === null) {
    opened = new Promise((resolve, reject) => {
      if (typeof indexedDB === "undefined") {
        reject(new Error("this browser offers no IndexedDB"));
        return;
      }
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading the schema: let it, this one stops storing.
        db.onversionchange = () => db.close();
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("another tab holds an older version open"));
    });
  }
  return opened;
}

/** The message for a failed store of `path`. */
function failure(what, path, error) {
  const name = error && error.name ? error.name : "Error";
  const detail = error && error.message ? error.message : String(error);
  const advice =
    name === "QuotaExceededError"
      ? ": the browser's storage for this site is full; delete old runs or allow more storage"
      : "";
  return `could not ${what} ${path} in the browser's storage (${name}: ${detail})${advice}`;
}

/** Runs `change(store)` in a readwrite transaction; resolves when it is durable. */
async function write(what, path, change) {
  let db;
  try {
    db = await database();
  } catch (error) {
    const message = failure(what, path, error);
    console.error(message);
    throw message;
  }
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, "readwrite", { durability: "strict" });
    change(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => {
      const message = failure(what, path, transaction.error);
      console.error(message);
      reject(message);
    };
  });
}

/** The keys strictly under `path`: from "path/" up to "path0" ('0' follows '/'). */
function under(path) {
  return IDBKeyRange.bound(path + "/", path + "0", false, true);
}

// Each change replaces what was stored at its path and under it: a directory's entries
// follow as their own changes, and no entry of a removed or replaced one survives.

/** Stores a file. `bytes` views the wasm memory only during this call: copied first. */
export function putFile(path, bytes, modifiedMs) {
  const data = bytes.slice();
  return write("store", path, (store) => {
    store.delete(under(path));
    store.put({ data, modified: modifiedMs }, path);
  });
}

/** Stores a directory (its entries come as their own changes). */
export function putDirectory(path, modifiedMs) {
  return write("store", path, (store) => {
    store.delete(under(path));
    store.put({ data: null, modified: modifiedMs }, path);
  });
}

/** Removes `path` and everything under it. */
export function remove(path) {
  return write("remove", path, (store) => {
    store.delete(path);
    store.delete(under(path));
  });
}

/** Every entry, in key order (parents first): [[path, Uint8Array | null, modifiedMs]]. */
export async function loadAll() {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, "readonly");
    const store = transaction.objectStore(STORE);
    const keys = store.getAllKeys();
    const values = store.getAll();
    transaction.oncomplete = () =>
      resolve(keys.result.map((path, i) => [path, values.result[i].data, values.result[i].modified]));
    transaction.onabort = () => reject(failure("read", "the stored files", transaction.error));
  });
}
