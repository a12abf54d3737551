// 总览: every village in the supervisor's scope with a red / amber / green cue, sortable, with
// the towns' totals, the whole overview as an Excel or CSV file, and the quarterly bulletin.

import { apiAll, apiBlob } from "../api.js";
import { t } from "./messages.js";
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
      h("button", { class: "secondary", onclick: () => exportAs("xlsx") }, t("overview.exportXlsx")),
      h("button", { class: "secondary", onclick: () => exportAs("csv") }, t("overview.exportCsv")),
    ),
    bulletin(),
  );
}

/** The current quarter and the four before it, newest first, as the API names them (2026-Q4). */
function recentQuarters(today = new Date()) {
  let year = today.getFullYear();
  let number = Math.floor(today.getMonth() / 3) + 1;
  const quarters = [];
  for (let i = 0; i < 5; i += 1) {
    quarters.push({ id: `${year}-Q${number}`, label: t(i ? "bulletin.quarter" : "bulletin.current", { year, number: "一二三四"[number - 1] }) });
    [year, number] = number === 1 ? [year - 1, 4] : [year, number - 1];
  }
  return quarters;
}

/** 季度通报: the county office's quarterly bulletin, as Excel or as a page to print. */
function bulletin() {
  const quarters = recentQuarters();
  const quarter = h("select", { id: "quarter" }, quarters.map((q, i) => h("option", { value: q.id, selected: i === 1 }, q.label)));
  const save = (format) => download(`/bulletins/${quarter.value}?format=${format}`, `${t("bulletin.fileName", { quarter: quarter.value })}.${format}`);
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "bulletin-title" },
    h("h2", { id: "bulletin-title" }, t("bulletin.title")),
    h("p", { class: "muted" }, t("bulletin.lead")),
    h("div", { class: "field" }, h("label", { for: "quarter" }, t("bulletin.quarterLabel")), quarter),
    h(
      "div",
      { class: "buttons" },
      h("button", { class: "secondary", onclick: () => save("xlsx") }, t("bulletin.xlsx")),
      h("button", { class: "secondary", onclick: () => save("html") }, t("bulletin.html")),
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

function exportAs(format) {
  return download(`/dashboard/villages?days=90&format=${format}`, `${t("overview.fileName")}.${format}`);
}

async function download(path, fileName) {
  try {
    const blob = await apiBlob(path);
    const link = h("a", { href: URL.createObjectURL(blob), download: fileName });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (e) {
    toast(e.words ?? String(e));
  }
}
