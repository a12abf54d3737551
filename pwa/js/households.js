// The households of my villages, cached on the phone so that search and the 待走访 list work
// with no signal. Search runs over an in-memory index: 3,000 households answer in well under
// one frame on a cheap phone.

import { apiAll } from "./api.js";
import { getAll, transact } from "./db.js";

let index = [];

/** Replace the cached households of these villages with the server's current list. */
export async function refreshHouseholds(villageCodes) {
  for (const code of villageCodes) {
    const fresh = await apiAll(`/households?village_code=${encodeURIComponent(code)}`);
    await transact("households", "readwrite", (s) => {
      s.households.index("village_code").openKeyCursor(IDBKeyRange.only(code)).onsuccess = (event) => {
        const cursor = event.target.result;
        if (!cursor) {
          for (const household of fresh) s.households.put(household);
          return;
        }
        s.households.delete(cursor.primaryKey);
        cursor.continue();
      };
    });
  }
}

/**
 * Load the cache into memory with the visits made on this phone counted in, so the 待走访 list
 * moves as soon as a visit is saved, not when the households are next downloaded. The latest
 * visit counts whether sent or not (taking the later of two times is safe to repeat); only the
 * unsent ones add to the count, which the server's figure already holds for the others.
 */
export async function loadHouseholds(localRecords = []) {
  const rows = await getAll("households");
  const local = new Map();
  for (const record of localRecords) {
    const visit = record.body;
    if (record.type !== "visit" || visit.kind !== "home_visit" || visit.household_id == null) continue;
    const seen = local.get(visit.household_id) ?? { at: null, count: 0 };
    if (!seen.at || Date.parse(visit.started_at) > Date.parse(seen.at)) seen.at = visit.started_at;
    if (record.state !== "sent") seen.count += 1;
    local.set(visit.household_id, seen);
  }
  index = rows.map((household) => {
    const extra = local.get(household.id);
    const last = [household.last_visit_at, extra?.at].filter(Boolean).map((v) => Date.parse(v));
    return {
      ...household,
      last_visit_ms: last.length ? Math.max(...last) : null,
      visit_count: household.visit_count + (extra?.count ?? 0),
      haystack: [household.head_name, household.household_no, household.group_name, household.address, ...household.tags]
        .filter(Boolean)
        .join(" ")
        .toLowerCase(),
    };
  });
  return index;
}

export function household(id) {
  return index.find((h) => h.id === id) ?? null;
}

/** Households whose name, number, group, address or tags hold every word of `query`. */
export function search(query, villageCode, limit = 50) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const found = [];
  for (const h of index) {
    if (villageCode && h.village_code !== villageCode) continue;
    if (words.every((w) => h.haystack.includes(w))) found.push(h);
    if (found.length >= limit) break;
  }
  return found;
}

/** Never visited first, then the longest since the last visit. */
export function toVisit(villageCode) {
  return index
    .filter((h) => !villageCode || h.village_code === villageCode)
    .sort((a, b) => (a.last_visit_ms ?? -Infinity) - (b.last_visit_ms ?? -Infinity) || a.id - b.id);
}
