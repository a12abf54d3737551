// 总览: every village in the supervisor's scope with a red / amber / green cue, sortable, with
// the towns' totals and the whole overview as an Excel or CSV file.

import { apiAll, apiBlob } from "../api.js";
import { t } from "../messages.js";
import { h, since, toast } from "../ui.js";

export const title = () => t("overview.title");

const SORTS = {
  coverage: (a, b) => (a.coverage ?? 2) - (b.coverage ?? 2),
  lastVisit: (a, b) => Date.parse(a.last_visit_at ?? 0) - Date.parse(b.last_visit_at ?? 0),
  presence: (a, b) => a.presence_days_30 - b.presence_days_30,
  flags: (a, b) => b.open_flags - a.open_flags,
};

/** red: people there probably don't know their secretary; amber: slipping; green: fine. */
export function cue(row) {
  if (!row.secretaries.length) return "none";
  const days = row.last_visit_at ? (Date.now() - Date.parse(row.last_visit_at)) / 86_400_000 : Infinity;
  if ((row.coverage ?? 0) < 0.6 || row.presence_days_30 < 20 || days > 14) return "red";
  if ((row.coverage ?? 0) < 0.8 || row.presence_days_30 < 25 || row.open_flags > 0) return "amber";
  return "green";
}

export async function render() {
  const rows = await apiAll("/dashboard/villages?days=90");
  const list = h("ul", { class: "list", "aria-label": t("overview.villages") });
  const sort = h(
    "select",
    { id: "sort", onchange: () => show() },
    Object.keys(SORTS).map((key) => h("option", { value: key }, t(`overview.sort.${key}`))),
  );
  function show() {
    const sorted = [...rows].sort(SORTS[sort.value]);
    list.replaceChildren(...sorted.map(villageRow));
  }
  show();
  return h(
    "div",
    { class: "stack" },
    towns(rows),
    h("div", { class: "field" }, h("label", { for: "sort" }, t("overview.sortBy")), sort),
    list,
    h(
      "div",
      { class: "buttons" },
      h("button", { class: "secondary", onclick: () => download("xlsx") }, t("overview.exportXlsx")),
      h("button", { class: "secondary", onclick: () => download("csv") }, t("overview.exportCsv")),
    ),
  );
}

function villageRow(row) {
  const level = cue(row);
  const coverage = row.coverage == null ? "—" : `${Math.round(row.coverage * 100)}%`;
  return h(
    "li",
    {},
    h(
      "a",
      { class: "row", href: `#/village?code=${row.village_code}` },
      h(
        "span",
        { class: "row-main" },
        h("strong", {}, row.village_name, row.weak_lax ? h("span", { class: "tags" }, ` ${t("overview.weakLax")}`) : null),
        h("span", { class: "muted" }, [row.town_name, row.secretaries.map((s) => s.display_name).join("、") || t("overview.noSecretary")].join(" · ")),
        h("span", { class: "muted" }, t("overview.facts", { presence: row.presence_days_30, last: row.last_visit_at ? since(Date.parse(row.last_visit_at)) : t("household.never"), flags: row.open_flags })),
      ),
      h("span", { class: `cue ${level}` }, h("strong", {}, coverage), t(`cue.${level}`)),
    ),
  );
}

function towns(rows) {
  const byTown = new Map();
  for (const row of rows) {
    const town = byTown.get(row.town_name) ?? { villages: 0, households: 0, visited: 0, red: 0, flags: 0 };
    town.villages += 1;
    town.households += row.households;
    town.visited += row.households_visited;
    town.red += cue(row) === "red";
    town.flags += row.open_flags;
    byTown.set(row.town_name, town);
  }
  return h(
    "table",
    { class: "totals" },
    h("caption", {}, t("overview.towns")),
    h("thead", {}, h("tr", {}, ["town", "villages", "coverage", "red", "flags"].map((c) => h("th", { scope: "col" }, t(`overview.col.${c}`))))),
    h(
      "tbody",
      {},
      [...byTown].map(([name, town]) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, name ?? "—"),
          h("td", {}, String(town.villages)),
          h("td", {}, town.households ? `${Math.round((town.visited / town.households) * 100)}%` : "—"),
          h("td", {}, String(town.red)),
          h("td", {}, String(town.flags)),
        ),
      ),
    ),
  );
}

async function download(format) {
  try {
    const blob = await apiBlob(`/dashboard/villages?days=90&format=${format}`);
    const link = h("a", { href: URL.createObjectURL(blob), download: `${t("overview.fileName")}.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (e) {
    toast(e.words ?? String(e));
  }
}
