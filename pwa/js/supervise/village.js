// A village page: the dashboard row, the public poster, cards and page, the rectification
// ledger (整改台账), visits per week, where visits were recorded against the village's radius,
// households not visited in 90 days, and the requests not yet resolved, with how many are
// overdue, each handled in place.

import { api } from "../api.js";
import { session } from "../session.js";
import { t } from "./messages.js";
import { h, since } from "../ui.js";
import { bars, positions, weeklyInWords } from "./charts.js";
import { publicButtons } from "./publicity.js";
import { ledgerSection } from "./rectification.js";
import { oldestFirst, requestItem } from "./requests.js";

export const title = () => t("village.title");

export async function render({ app, params }) {
  const code = params.get("code");
  const [page, unvisited, requests] = await Promise.all([
    api(`/dashboard/villages/${code}`),
    api(`/households?village_code=${code}&not_visited_days=90&limit=100`),
    api(`/requests?village_code=${code}&status=open&status=in_progress&limit=50`),
  ]);
  const row = page.village;
  const coverage = row.coverage == null ? "—" : `${Math.round(row.coverage * 100)}%`;
  return h(
    "div",
    { class: "stack" },
    h("h2", {}, `${row.town_name ?? ""} ${row.village_name}`),
    h("p", { class: `cue ${row.cue} wide` }, t("village.facts", { coverage, visited: row.households_visited, households: row.households, presence: row.presence_days_30, nights: row.nights_30 })),
    overdueCue(code, requests),
    h("p", {}, row.secretaries.map((s) => h("a", { class: "button secondary", href: `#/secretary?id=${s.user_id}` }, s.display_name))),
    h("div", { class: "stack", role: "group", "aria-label": t("public.group") }, publicButtons(code)),
    ledgerSection(code, session().me.role),
    h("h2", {}, t("village.weekly")),
    bars(page.visits_per_week, t("village.weeklyLabel", { list: weeklyInWords(page.visits_per_week) })),
    h("h2", {}, t("village.where")),
    page.lat != null && page.radius_m
      ? positions(page.visit_points, { lat: page.lat, lon: page.lon }, page.radius_m, t("village.whereLabel", { count: page.visit_points.length, off: page.visit_points.filter((p) => p.off_site).length }))
      : h("p", { class: "muted" }, t("village.noCentre")),
    h("h2", {}, t("village.unvisited", { count: unvisited.items.length })),
    h(
      "ul",
      { class: "list compact" },
      unvisited.items.map((x) => h("li", { class: "row" }, h("span", {}, x.head_name, " ", h("span", { class: "muted" }, x.group_name ?? "")), h("span", { class: "muted" }, since(x.last_visit_at ? Date.parse(x.last_visit_at) : null)))),
    ),
    ...requestSection(app, code, requests),
  );
}

/** How many requests are overdue, at the top of the page, leading to just those. */
function overdueCue(code, page) {
  const overdue = page.items.filter((r) => r.overdue).length;
  if (!overdue) return null;
  const query = new URLSearchParams({ scope: code, older_than_days: String(page.overdue_days) });
  const words = t("village.overdueCue", { count: overdue, more: page.next_cursor ? "+" : "", days: page.overdue_days });
  return h("p", { class: "warn-text" }, h("a", { href: `#/requests?${query}` }, words));
}

/** The unresolved requests, oldest first, each handled in place, and the way to all of them. */
function requestSection(app, code, page) {
  return [
    h("h2", {}, t("village.requests", { count: page.items.length, more: page.next_cursor ? "+" : "" })),
    h("ul", { class: "list", "aria-label": t("requests.title") }, page.items.sort(oldestFirst).map((r) => requestItem(r, app, page.overdue_days))),
    h("a", { class: "button secondary", href: `#/requests?${new URLSearchParams({ scope: code, status: "all" })}` }, t("village.allRequests")),
  ];
}
