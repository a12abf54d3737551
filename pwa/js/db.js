// The phone's own storage (IndexedDB). Everything a secretary or an inspector records lives
// here first, so a dead network, a closed tab or a reboot never loses it. Schema changes happen
// only in the upgrade callback, and no network call is ever awaited inside a transaction.

const DB_NAME = "zoufang";
const DB_VERSION = 2;

let opening = null;

export function openDb() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("kv");
        db.createObjectStore("households", { keyPath: "id" }).createIndex("village_code", "village_code");
        db.createObjectStore("records", { keyPath: "id" }).createIndex("created_at", "created_at");
        db.createObjectStore("photos", { keyPath: "id" });
      }
      // Inspections downloaded for days in the villages.
      if (event.oldVersion < 2) db.createObjectStore("inspections", { keyPath: "id" });
    };
    request.onsuccess = () => {
      const db = request.result;
      // A newer version of the app in another tab wants to upgrade: step aside for it.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error);
  });
  return opening;
}

/**
 * Run `work(stores)` in one transaction and resolve once it has been committed to disk.
 * `work` may return an IDBRequest (or an array of them); their results are what resolves.
 * A failure (a full disk shows as QuotaExceededError) rejects with the browser's own error.
 */
export async function transact(storeNames, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeNames, mode, { durability: "strict" });
    const stores = Object.fromEntries([storeNames].flat().map((name) => [name, tx.objectStore(name)]));
    let pending;
    try {
      pending = work(stores);
    } catch (error) {
      tx.abort();
      reject(error);
      return;
    }
    tx.oncomplete = () => resolve(Array.isArray(pending) ? pending.map((r) => r.result) : pending?.result);
    tx.onabort = () => reject(tx.error ?? new DOMException("transaction aborted", "AbortError"));
  });
}

export const get = (store, key) => transact(store, "readonly", (s) => s[store].get(key));
export const getAll = (store) => transact(store, "readonly", (s) => s[store].getAll());
export const put = (store, value, key) => transact(store, "readwrite", (s) => s[store].put(value, key));
export const remove = (store, key) => transact(store, "readwrite", (s) => s[store].delete(key));
