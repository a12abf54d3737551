// A village page: the dashboard row, visits per week, where visits were recorded against the
// village's radius, households not visited in 90 days and open requests.

import { api } from "../api.js";
import { t } from "./messages.js";
import { h, since } from "../ui.js";
import { bars, positions } from "./charts.js";
import { cue } from "./overview.js";

export const title = () => t("village.title");

export async function render({ params }) {
  const code = params.get("code");
  const [page, unvisited, requests] = await Promise.all([
    api(`/dashboard/villages/${code}`),
    api(`/households?village_code=${code}&not_visited_days=90&limit=100`),
    api(`/requests?scope=${code}&status=open&limit=50`),
  ]);
  const row = page.village;
  const coverage = row.coverage == null ? "—" : `${Math.round(row.coverage * 100)}%`;
  return h(
    "div",
    { class: "stack" },
    h("h2", {}, `${row.town_name ?? ""} ${row.village_name}`),
    h("p", { class: `cue ${cue(row)} wide` }, t("village.facts", { coverage, visited: row.households_visited, households: row.households, presence: row.presence_days_30, nights: row.nights_30 })),
    h("p", {}, row.secretaries.map((s) => h("a", { class: "button secondary", href: `#/secretary?id=${s.user_id}` }, s.display_name))),
    h("h2", {}, t("village.weekly")),
    bars(page.visits_per_week, t("village.weeklyLabel", { list: page.visits_per_week.join("、") })),
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
    h("h2", {}, t("village.requests", { count: requests.items.length })),
    h(
      "ul",
      { class: "list compact" },
      requests.items.map((r) => h("li", { class: "record" }, h("strong", {}, r.category), h("span", {}, r.text))),
    ),
  );
}
