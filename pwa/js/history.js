// My own visits and check-ins of the last 90 days as the server keeps them, for 我的记录 on a
// phone that did not make them (a new phone, a cleared browser), and the village's messages
// from its public page. Of use only with a signal, so phones do not keep this module (ONLINE_ONLY in api/ops/pwa.py); 我的记录 loads it when opened.

import { api, apiAll } from "./api.js";
import { household } from "./households.js";
import { t } from "./messages.js";
import { session, villages } from "./session.js";
import { formatTime, h } from "./ui.js";
import { checkinLabel, visitLabel } from "./views/common.js";

const DAYS = 90; // as the words of records.loading and records.unavailable say

// One download per user and page load: the screen is redrawn on every change to the outbox,
// and what the phone records itself it lists from its own outbox anyway.
let kept = null; // {userId, promise}

/**
 * The phone's own records, then those the server has and this phone does not, shaped, labelled
 * and marked sent as the phone's own would be. A record in both is the phone's copy (only it
 * knows whether a change still waits to be sent), with its villagers' requests as the server
 * has them: how far each got (办结 and what was done) is known only there. Rejects (an
 * ApiError) with no signal or an expired login.
 */
export async function withServer(local) {
  const userId = session().me.id;
  if (kept?.userId !== userId) {
    const promise = download(userId);
    kept = { userId, promise };
    promise.catch(() => {
      if (kept?.promise === promise) kept = null; // tried again next time 我的记录 opens
    });
  }
  const { visits, checkins } = await kept.promise;
  // Labelled now, not when downloaded: the households may have arrived on the phone since.
  const village = (code) => villages().find((v) => v.village_code === code);
  const sent = new Map(visits.map((v) => [v.id, v]));
  const mine = local.map((r) => (sent.has(r.id) ? { ...r, body: { ...r.body, requests: sent.get(r.id).requests } } : r));
  const here = new Set(local.map((r) => r.id));
  const theirs = [
    ...visits.map((v) => ({ type: "visit", label: visitLabel(v.kind, household(v.household_id)), body: v })),
    ...checkins.map((c) => ({ type: "checkin", label: checkinLabel(village(c.village_code)), body: c })),
  ]
    .filter((r) => !here.has(r.body.id))
    .map((r) => ({ ...r, id: r.body.id, state: "sent", checks: r.body.checks }));
  return [...mine, ...theirs];
}

async function download(userId) {
  // URLSearchParams encodes the time's ":" (and a "+" offset, were there one) for the query.
  const since = new Date(Date.now() - DAYS * 86_400_000).toISOString();
  const query = new URLSearchParams({ user_id: String(userId), since });
  const [visits, checkins] = await Promise.all([apiAll(`/visits?${query}`), apiAll(`/checkins?${query}`)]);
  return { visits, checkins };
}

/**
 * The latest messages villagers left on the village's public page (来自公开页留言), with how far
 * each got, as the nodes 我的记录 shows under the records (none when there are none).
 */
export async function publicMessages(code) {
  const query = new URLSearchParams({ village_code: code, source: "public_page", limit: "50" });
  const items = (await api(`/requests?${query}`)).items.filter((r) => r.source === "public_page");
  if (!items.length) return [];
  return [
    h("h2", { id: "public-messages" }, t("records.public")),
    h(
      "ul",
      { class: "list", "aria-labelledby": "public-messages" },
      items.map((q) =>
        h(
          "li",
          { class: "record" },
          h("div", { class: "row" }, h("strong", {}, q.category), h("span", { class: `badge ${q.status === "resolved" ? "sent" : "pending"}` }, t(`records.request.${q.status}`))),
          h("span", { class: "muted" }, [formatTime(q.created_at), q.sender_name].filter(Boolean).join(" · ")),
          h("p", { class: "notes" }, q.text),
          q.resolution && h("p", { class: "notes" }, t("records.resolution", { text: q.resolution })),
        ),
      ),
    ),
  ];
}
