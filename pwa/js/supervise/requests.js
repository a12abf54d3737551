// 群众诉求: villagers' requests in the supervisor's scope, filtered by status, category, place,
// source (recorded on a visit, or left on the village's public page) and how long they have
// waited, each started (开始办理) or resolved (办结, with what was done) in place. A message from
// the public page that is abuse or advertising is hidden with a reason (隐藏), listed again only
// when asked for. The village page lists its own requests with the same items (requestItem).

import { api, apiAll } from "../api.js";
import { session } from "../session.js";
import { t } from "./messages.js";
import { formatTime, h, toast } from "../ui.js";
import { CATEGORIES } from "../views/visit.js";

export const title = () => t("requests.title");

// The status filter's choices and the API's statuses for each; unresolved first, the default.
const STATUSES = {
  unresolved: ["open", "in_progress"],
  open: ["open"],
  in_progress: ["in_progress"],
  resolved: ["resolved"],
  all: [],
};
const PAGE = 50;

export async function render({ app, params }) {
  const filters = {
    status: params.get("status") in STATUSES ? params.get("status") : "unresolved",
    category: params.get("category") ?? "",
    scope: params.get("scope") ?? "",
    older_than_days: params.get("older_than_days") ?? "",
    source: params.get("source") ?? "",
    hidden: params.get("hidden") ?? "",
  };
  const [first, places] = await Promise.all([fetchPage(filters, null), apiAll("/regions")]);
  const list = h("ul", { class: "list", "aria-label": t("requests.title") });
  const summary = h("p", { class: "summary", role: "status" });
  const more = h("button", { class: "secondary", hidden: true }, t("requests.more"));
  let shown = 0;
  const append = (page) => {
    list.append(...page.items.sort(oldestFirst).map((r) => requestItem(r, app, page.overdue_days)));
    shown += page.items.length;
    summary.textContent = shown ? t("requests.shown", { count: shown, more: page.next_cursor ? "+" : "" }) : t("requests.none");
    more.hidden = !page.next_cursor;
    more.onclick = async () => append(await fetchPage(filters, page.next_cursor));
  };
  append(first);
  return h("div", { class: "stack" }, filterForm(app, filters, places, first.overdue_days), summary, list, more);
}

function fetchPage(filters, cursor) {
  const query = new URLSearchParams({ limit: String(PAGE) });
  for (const status of STATUSES[filters.status]) query.append("status", status);
  for (const key of ["category", "scope", "older_than_days", "source", "hidden"]) if (filters[key]) query.set(key, filters[key]);
  if (cursor) query.set("cursor", cursor);
  return api(`/requests?${query}`);
}

/** The filters, applied by navigating, so that a filtered list can be linked to and reloaded. */
function filterForm(app, filters, places, overdueDays) {
  const select = (name, label, options) =>
    h(
      "div",
      { class: "field" },
      h("label", { for: `requests-${name}` }, label),
      h("select", { id: `requests-${name}`, name }, options.map(([value, words]) => h("option", { value, selected: value === filters[name] }, words))),
    );
  const towns = places.filter((p) => p.level === "town");
  const villagesOf = (town) => places.filter((p) => p.level === "village" && p.parent_code === town.code);
  const place = h(
    "div",
    { class: "field" },
    h("label", { for: "requests-scope" }, t("requests.place")),
    h(
      "select",
      { id: "requests-scope", name: "scope" },
      h("option", { value: "" }, t("requests.allPlaces")),
      towns.map((town) =>
        h("optgroup", { label: town.name }, h("option", { value: town.code, selected: town.code === filters.scope }, t("requests.wholeTown", { name: town.name })), villagesOf(town).map((v) => h("option", { value: v.code, selected: v.code === filters.scope }, v.name))),
      ),
    ),
  );
  // A week, the deployment's overdue threshold (marked as such) and a quarter.
  const days = [...new Set([7, overdueDays, 90])].sort((a, b) => a - b);
  const ages = [["", t("requests.anyAge")], ...days.map((d) => [String(d), t(d === overdueDays ? "requests.overdueAge" : "requests.age", { days: d })])];
  function apply(event) {
    event.preventDefault();
    const chosen = new FormData(event.target);
    const query = new URLSearchParams([...chosen].filter(([, value]) => value));
    app.navigate(`#/requests?${query}`);
  }
  return h(
    "form",
    { class: "filters card", role: "search", onsubmit: apply },
    select("status", t("requests.status"), Object.keys(STATUSES).map((key) => [key, t(`requests.filter.${key}`)])),
    select("category", t("requests.category"), [["", t("requests.anyCategory")], ...CATEGORIES.map((c) => [t(`category.${c}`), t(`category.${c}`)])]),
    place,
    select("older_than_days", t("requests.waiting"), ages),
    select("source", t("requests.source"), [["", t("requests.anySource")], ["visit", t("requests.source.visit")], ["public_page", t("requests.source.public_page")]]),
    h("label", { class: "choice", for: "requests-hidden" }, h("input", { type: "checkbox", id: "requests-hidden", name: "hidden", value: "true", checked: filters.hidden === "true" }), t("requests.withHidden")),
    h("button", { type: "submit" }, t("requests.find")),
  );
}

/** Longest waiting first (within a page: the API pages by id). */
export function oldestFirst(a, b) {
  return Date.parse(a.created_at) - Date.parse(b.created_at);
}

/** One request: where and from whom, how long it has waited, and its handling. */
export function requestItem(r, app, overdueDays) {
  const waited = Math.floor((Date.now() - Date.parse(r.created_at)) / 86_400_000);
  const received = [t("requests.received", { time: formatTime(r.created_at) }), r.status !== "resolved" && waited > 0 && t("requests.waited", { days: waited })];
  const badge = r.status === "resolved" ? "sent" : "pending";
  return h(
    "li",
    { class: "record stack", dataset: { request: r.id } },
    h(
      "div",
      { class: "row" },
      h("strong", {}, r.category),
      h(
        "span",
        {},
        r.source === "public_page" && h("span", { class: "badge source" }, t("requests.source.public_page")),
        r.hidden && h("span", { class: "badge" }, t("requests.hidden")),
        r.overdue && h("span", { class: "badge failed" }, t("requests.overdue", { days: overdueDays })),
        h("span", { class: `badge ${badge}` }, t(`requests.status.${r.status}`)),
      ),
    ),
    h("span", { class: "muted" }, [[r.town_name, r.village_name].filter(Boolean).join(" "), r.head_name, sender(r), ...received].filter(Boolean).join(" · ")),
    h("p", { class: "notes" }, r.text),
    r.hidden && h("p", { class: "warn-text" }, t("requests.hiddenBy", { name: r.hidden_by_name ?? "—", reason: r.hidden_reason ?? "" })),
    r.status === "resolved" ? outcome(r) : handling(r, app),
    r.source === "public_page" && !r.hidden && HIDERS.has(session()?.me.role) && hiding(r, app),
  );
}

const HIDERS = new Set(["town", "county", "admin"]);

/** Who left a public message, as far as they said (and the receipt code they keep). */
function sender(r) {
  if (r.source !== "public_page") return null;
  const who = [r.sender_name, r.sender_phone].filter(Boolean).join(" ") || t("requests.anonymous");
  return r.receipt ? t("requests.receipt", { who, code: r.receipt }) : who;
}

/** 隐藏 a public message (abuse, advertising): the reason first; the villager's receipt page never says. */
function hiding(r, app) {
  const id = `hide-${r.id}`;
  const reason = h("textarea", { id, rows: 2, maxlength: 500 });
  const field = h("div", { class: "field", hidden: true }, h("label", { for: id }, t("requests.hideReason")), reason);
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  async function hide() {
    error.hidden = true;
    if (field.hidden) {
      field.hidden = false;
      reason.focus();
      return;
    }
    if (!reason.value.trim()) {
      error.textContent = t("requests.needHideReason");
      error.hidden = false;
      return;
    }
    try {
      await api(`/requests/${r.id}/hide`, { method: "POST", json: { reason: reason.value.trim() } });
      toast(t("requests.hiddenDone"));
      app.refresh();
    } catch (e) {
      error.textContent = e.words;
      error.hidden = false;
    }
  }
  return h("div", { class: "stack" }, field, error, h("div", { class: "buttons" }, h("button", { class: "secondary", type: "button", onclick: hide }, t("requests.hide"))));
}

function outcome(r) {
  return h(
    "div",
    { class: "resolved" },
    h("p", { class: "notes" }, h("strong", {}, t("requests.resolution")), r.resolution),
    h("span", { class: "muted" }, t("requests.resolvedBy", { name: r.updated_by_name ?? "—", time: formatTime(r.resolved_at) })),
  );
}

/**
 * 开始办理 for a new request; 办结 for any request not yet resolved, which first opens the field
 * for what was done (a list of many requests stays short) and then needs it filled.
 */
function handling(r, app) {
  const id = `resolution-${r.id}`;
  const resolution = h("textarea", { id, rows: 3, maxlength: 2000 });
  const field = h("div", { class: "field", hidden: true }, h("label", { for: id }, t("requests.resolutionLabel")), resolution);
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  async function move(status) {
    error.hidden = true;
    const text = resolution.value.trim();
    if (status === "resolved" && field.hidden) {
      field.hidden = false;
      resolution.focus();
      return;
    }
    if (status === "resolved" && !text) {
      error.textContent = t("requests.needResolution");
      error.hidden = false;
      resolution.focus();
      return;
    }
    try {
      await api(`/requests/${r.id}`, { method: "PATCH", json: status === "resolved" ? { status, resolution: text } : { status } });
      toast(t(`requests.done.${status}`));
      app.refresh();
    } catch (e) {
      error.textContent = e.words;
      error.hidden = false;
    }
  }
  return h(
    "div",
    { class: "stack" },
    r.status === "in_progress" && r.updated_by_name && h("span", { class: "muted" }, t("requests.startedBy", { name: r.updated_by_name, time: formatTime(r.updated_at) })),
    field,
    error,
    h(
      "div",
      { class: "buttons" },
      r.status === "open" && h("button", { class: "secondary", type: "button", onclick: () => move("in_progress") }, t("requests.start")),
      h("button", { class: "primary", type: "button", onclick: () => move("resolved") }, t("requests.resolve")),
    ),
  );
}
