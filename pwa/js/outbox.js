// The outbox: every record is written to the phone first, with its own UUID, and then sent.
// Like Workbox's background-sync queue it takes the oldest entries, sends them and puts them
// back on failure, but it never expires an entry: a visit is evidence. Photos go up before the
// records that name them; the server's idempotency (same id, same content → 200) makes every
// resend safe, so a page closed mid-sync simply sends again when it reopens. Inspectors'
// answers go to their inspection's /answers instead of /sync.

import { api } from "./api.js";
import { get, getAll, transact } from "./db.js";
import { t } from "./messages.js";

const BATCH = 50;
const FIRST_DELAY_MS = 30_000;
const MAX_DELAY_MS = 30 * 60_000;

const listeners = new Set();
let flushing = null;
// Until when the server asked everyone to wait (a 503 or 429 with Retry-After): timed sends
// hold back till then, so a crowd of phones does not come back all at once.
let pausedUntil = 0;

export function onOutboxChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of listeners) listener();
}

/**
 * Save a record and its photos in one transaction: either all of it is on the phone or none.
 * `photos` are {id, blob, taken_at?, lat?, lon?}. Rejects with QuotaExceededError on a full disk.
 */
export async function enqueue(record, photos = []) {
  const entry = {
    state: "pending",
    attempts: 0,
    next_at: 0,
    error: null,
    created_at: Date.now(),
    ...storable(record),
    photo_ids: photos.map((p) => p.id),
  };
  await transact(["records", "photos"], "readwrite", (s) => {
    for (const photo of photos) s.photos.put({ uploaded: false, ...photo, record_id: entry.id });
    s.records.put(entry);
  });
  changed();
  return entry;
}

/** Save a new version of an unsent record: under the lock, so never while the old one is on its way. */
export function amend(record) {
  return withLock(async () => {
    if ((await get("records", record.id))?.state === "sent") throw new Error(t("outbox.alreadySent"));
    return enqueue(record);
  });
}

/** Drop a record the user chose to discard, with the photos that only it used. */
export async function discard(id) {
  await transact(["records", "photos"], "readwrite", (s) => {
    s.records.get(id).onsuccess = (event) => {
      for (const photoId of event.target.result?.photo_ids ?? []) s.photos.delete(photoId);
    };
    s.records.delete(id);
  });
  changed();
}

export async function records() {
  const all = await getAll("records");
  return all.sort((a, b) => b.created_at - a.created_at);
}

export async function waiting() {
  return (await records()).filter((r) => r.state !== "sent");
}

/**
 * Send what is due; `force` ignores the back-off (start-up, `online`, the "retry now" button).
 * Only one flush runs at a time, across tabs too where the browser has Web Locks.
 * Resolves to {sent, failed, authExpired}.
 */
export function flush({ force = false } = {}) {
  if (!force && Date.now() < pausedUntil) return Promise.resolve({ sent: 0, failed: 0, authExpired: false });
  flushing ??= withLock(() => sendDue(force)).finally(() => {
    flushing = null;
    changed();
  });
  return flushing;
}

function withLock(work) {
  return navigator.locks ? navigator.locks.request("zoufang-outbox", work) : work();
}

async function sendDue(force) {
  const now = Date.now();
  const due = (await waiting()).filter((r) => r.state === "pending" && (force || r.next_at <= now)).reverse();
  const summary = { sent: 0, failed: 0, authExpired: false };
  if (!due.length) return summary;
  try {
    const ready = [];
    for (const record of due) {
      if (await uploadPhotos(record)) ready.push(record);
    }
    const groups = new Map(); // visits and check-ins together; answers by inspection
    for (const r of ready) groups.set(r.inspection_id, [...(groups.get(r.inspection_id) ?? []), r]);
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += BATCH) await sendBatch(group.slice(i, i + BATCH), summary);
    }
  } catch (error) {
    // No connection, the server too busy, or the login has expired: everything left stays
    // queued as it was.
    if (error.status === 401) summary.authExpired = true;
    else if (!error.retryable) throw error;
    if (error.retryAfterMs) pausedUntil = Date.now() + error.retryAfterMs;
  }
  return summary;
}

/** Whether the server said it is too busy: stop this round, the rest would only be turned away too. */
function busy(error) {
  return error.status === 503 || error.status === 429;
}

/** Upload the record's photos not yet on the server; false when the record must wait or failed. */
async function uploadPhotos(record) {
  const photos = await transact("photos", "readonly", (s) => record.photo_ids.map((id) => s.photos.get(id)));
  for (const photo of photos) {
    if (!photo) {
      await fail(record, t("outbox.photoLost"));
      return false;
    }
    if (photo.uploaded) continue;
    const form = new FormData();
    form.append("id", photo.id);
    form.append("file", photo.blob, `${photo.id}.jpg`);
    if (photo.taken_at) form.append("taken_at", photo.taken_at);
    if (photo.lat != null && photo.lon != null) {
      form.append("exif_lat", String(photo.lat));
      form.append("exif_lon", String(photo.lon));
    }
    try {
      await api("/photos", { method: "POST", form });
    } catch (error) {
      if (error.network || error.status === 401) throw error;
      if (error.retryable) await backOff(record, error.words, error.retryAfterMs);
      if (busy(error)) throw error;
      else await fail(record, t("outbox.photoRefused", { reason: error.words }));
      return false;
    }
    await transact("photos", "readwrite", (s) => s.photos.put({ ...photo, uploaded: true }));
  }
  return true;
}

async function sendBatch(batch, summary) {
  const inspection = batch[0].inspection_id;
  const of = (type) => batch.filter((r) => r.type === type).map((r) => r.body);
  const body = inspection ? { answers: of("answer") } : { visits: of("visit"), checkins: of("checkin"), progress: of("progress") };
  let results;
  try {
    ({ results } = await api(inspection ? `/inspections/${inspection}/answers` : "/sync", { method: "POST", json: body }));
  } catch (error) {
    if (error.network || error.status === 401) throw error;
    if (inspection && error.status === 422 && batch.length > 1) {
      // Answers stand or fall together: send them singly to find the one at fault.
      for (const record of batch) await sendBatch([record], summary);
      return;
    }
    for (const record of batch) {
      if (error.retryable) await backOff(record, error.words, error.retryAfterMs);
      else await fail(record, error.words);
    }
    if (busy(error)) throw error;
    return;
  }
  const byId = new Map(batch.map((r) => [r.id, r]));
  for (const result of results) {
    const record = byId.get(result.id);
    if (!record) continue;
    if (result.status === "created" || result.status === "unchanged") {
      await delivered(record, result);
      summary.sent += 1;
    } else if (result.detail === "missing_photo") {
      // The server lost track of a photo (or it never arrived): upload them again next time.
      await transact("photos", "readwrite", (s) => {
        for (const id of record.photo_ids) {
          s.photos.get(id).onsuccess = (e) => e.target.result && s.photos.put({ ...e.target.result, uploaded: false });
        }
      });
      await backOff(record, t("outbox.missingPhoto"));
    } else {
      const words =
        result.status === "conflict" && !inspection ? t("outbox.conflict") : result.detail || t("outbox.rejected");
      await fail(record, words);
      summary.failed += 1;
    }
  }
}

/** The record is on the server: keep it for "my records", let its photo bytes go. */
async function delivered(record, result) {
  await transact(["records", "photos"], "readwrite", (s) => {
    s.records.put({ ...record, state: "sent", sent_at: Date.now(), error: null, checks: result.checks ?? [] });
    for (const id of record.photo_ids) s.photos.delete(id);
  });
}

async function backOff(record, reason, retryAfterMs = 0) {
  const attempts = record.attempts + 1;
  const growing = Math.min(FIRST_DELAY_MS * 2 ** (attempts - 1), MAX_DELAY_MS) * (0.8 + Math.random() * 0.4);
  const delay = Math.max(growing, retryAfterMs);
  await transact("records", "readwrite", (s) =>
    s.records.put({ ...record, attempts, next_at: Date.now() + delay, error: { retryable: true, words: reason } }),
  );
}

async function fail(record, reason) {
  await transact("records", "readwrite", (s) =>
    s.records.put({ ...record, state: "failed", error: { retryable: false, words: reason } }),
  );
}

/**
 * The record as the server can keep it. A phone keyboard can leave half of an emoji (a lone
 * UTF-16 surrogate) in what was typed, which no server can store; it becomes "\uFFFD" so the
 * rest of the secretary's words are kept, and stray control characters go (line breaks and
 * tabs stay).
 */
export function storable(value) {
  if (typeof value === "string") {
    return value
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, "");
  }
  if (Array.isArray(value)) return value.map(storable);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, storable(item)]));
  }
  return value;
}

/** Ask the browser not to evict the outbox when the phone runs low on space. */
export async function askPersistence() {
  if (!navigator.storage?.persist) return null;
  return (await navigator.storage.persisted()) || navigator.storage.persist();
}
