// 总览: every village in the supervisor's scope with a red / amber / green cue, sortable, with
// the towns' totals, the whole overview as an Excel or CSV file, and the quarterly bulletin.

import { api, apiAll, apiBlob } from "../api.js";
import { t } from "./messages.js";
import { formatTime, h, since, toast } from "../ui.js";
import { openToPrint } from "./publicity.js";
import { session } from "../session.js";

export const title = () => t("overview.title");

// Each sort puts the village most in need of a look first; weak-lax villages always lead.
const SORTS = {
  coverage: (a, b) => (a.coverage ?? 2) - (b.coverage ?? 2),
  lastVisit: (a, b) => Date.parse(a.last_visit_at ?? 0) - Date.parse(b.last_visit_at ?? 0),
  presence: (a, b) => a.presence_days_30 - b.presence_days_30,
  flags: (a, b) => b.open_flags - a.open_flags,
  // Most overdue measures first, then the least done share of the ledger; no ledger last.
  rectification: (a, b) => rectRank(b) - rectRank(a),
  awareness: (a, b) => (a.awareness_rate ?? 2) - (b.awareness_rate ?? 2),
  name: (a, b) => a.village_name.localeCompare(b.village_name, "zh-CN"),
};
const CUES = ["red", "amber", "green"];

function rectRank(row) {
  const r = row.rectification;
  return r?.measures ? r.measures_overdue * 1000 + (1 - r.measures_done / r.measures) : -1;
}

const posted = (row) => row.secretaries.length > 0;
// A province's or city's code has zeros where a county's own two digits go (520100… is a city).
const widerThanACounty = (code) => !code || code.slice(4, 6) === "00";

export async function render({ params }) {
  // A province or city sees its counties first (one row each, from the hourly count), then a
  // county's villages; a county or town sees its villages straight away.
  const scope = params.get("scope") ?? "";
  if (!scope && widerThanACounty(session().me.scope_code)) {
    const areas = await api("/dashboard/areas?by=county");
    if (areas.items.length > 1) return counties(areas);
  }
  const rows = await apiAll(`/dashboard/villages?days=90${scope ? `&scope=${encodeURIComponent(scope)}` : ""}`);
  const state = { sort: "coverage", reversed: false, town: "", weakOnly: false, cue: "", all: false };
  const shown = h("div", { class: "stack" });
  const totals = h("div", { class: "stack" });
  function show() {
    const visible = rows.filter(
      (r) => (state.all || posted(r)) && (!state.town || r.town_name === state.town) && (!state.weakOnly || r.weak_lax) && (!state.cue || r.cue === state.cue),
    );
    const order = SORTS[state.sort];
    visible.sort((a, b) => Number(b.weak_lax) - Number(a.weak_lax) || (state.reversed ? -order(a, b) : order(a, b)));
    shown.replaceChildren(
      h("p", { class: "summary", role: "status" }, t("overview.shown", { count: visible.length, unposted: rows.filter((r) => !posted(r)).length })),
      villageTable(visible, state, show),
      h("ul", { class: "list phone-only", "aria-label": t("overview.villages") }, visible.map(villageRow)),
    );
    totals.replaceChildren(towns(rows));
  }
  show();
  return h(
    "div",
    { class: "stack" },
    scope ? h("a", { href: "#/overview" }, t("overview.allCounties")) : null,
    totals,
    filters(rows, state, show),
    shown,
    h(
      "div",
      { class: "buttons" },
      h("a", { class: "button secondary", href: "#/requests" }, t("requests.title")),
      exportButtons(scope),
    ),
    bulletin(),
  );
}

/** Town, weak-lax, cue colour, whether to list villages nobody is posted to, and (on a phone) the order. */
function filters(rows, state, show) {
  const control = (id, label, element, apply) => {
    element.id = id;
    element.addEventListener("change", () => {
      apply(element);
      show();
    });
    return h("div", { class: "field" }, h("label", { for: id }, label), element);
  };
  const towns = [...new Set(rows.map((r) => r.town_name).filter(Boolean))].sort((a, b) => a.localeCompare(b, "zh-CN"));
  const checkbox = (id, label, apply) => {
    const box = h("input", { type: "checkbox", id });
    box.addEventListener("change", () => {
      apply(box.checked);
      show();
    });
    return h("label", { class: "choice", for: id }, box, label);
  };
  return h(
    "div",
    { class: "filters card", role: "group", "aria-label": t("overview.filters") },
    control("filter-town", t("overview.col.town"), h("select", {}, h("option", { value: "" }, t("overview.allTowns")), towns.map((name) => h("option", { value: name }, name))), (e) => (state.town = e.value)),
    control("filter-cue", t("overview.cue"), h("select", {}, h("option", { value: "" }, t("overview.allCues")), CUES.map((c) => h("option", { value: c }, t(`cue.${c}`)))), (e) => (state.cue = e.value)),
    h(
      "div",
      { class: "phone-only" },
      control("sort", t("overview.sortBy"), h("select", {}, Object.keys(SORTS).map((key) => h("option", { value: key }, t(`overview.sort.${key}`)))), (e) => {
        state.sort = e.value;
        state.reversed = false;
      }),
    ),
    checkbox("filter-weak", t("overview.weakOnly"), (on) => (state.weakOnly = on)),
    checkbox("filter-all", t("overview.showUnposted"), (on) => (state.all = on)),
  );
}

const COLUMNS = [
  { key: "name", label: "overview.col.village" },
  { key: null, label: "overview.col.secretary" },
  { key: "coverage", label: "overview.col.coverage", num: true },
  { key: "lastVisit", label: "overview.col.lastVisit" },
  { key: "presence", label: "overview.col.presence", num: true },
  { key: "flags", label: "overview.col.flags", num: true },
  { key: "rectification", label: "overview.col.rectification" },
  { key: "awareness", label: "overview.col.awareness", num: true },
  { key: null, label: "overview.col.public" },
  { key: null, label: "overview.col.cue" },
];

/** 整改进度 as "3/7 · 逾期 1"; "—" for a village without a ledger (or a server that has no figures yet). */
function rectification(row) {
  const r = row.rectification;
  if (!r?.measures) return "—";
  return [`${r.measures_done}/${r.measures}`, r.measures_overdue ? t("overview.rectOverdue", { count: r.measures_overdue }) : null].filter(Boolean).join(" · ");
}

/** The public page this month: views and messages ("—" until the server counts them). */
function publicFigures(row) {
  if (row.public_views_month == null && row.public_messages_month == null) return "—";
  return t("overview.publicFigures", { views: row.public_views_month ?? 0, messages: row.public_messages_month ?? 0 });
}

/** On a desk: one row a village, columns sorted by their headers, the header kept in view. */
function villageTable(rows, state, show) {
  const header = (column) => {
    if (!column.key) return h("th", { scope: "col" }, t(column.label));
    const active = state.sort === column.key;
    const sort = () => {
      state.reversed = active && !state.reversed;
      state.sort = column.key;
      show();
    };
    return h(
      "th",
      { scope: "col", class: column.num ? "num" : null, "aria-sort": active ? (state.reversed ? "descending" : "ascending") : null },
      h("button", { class: "sort", type: "button", onclick: sort }, t(column.label), active ? (state.reversed ? " ▲" : " ▼") : ""),
    );
  };
  return h(
    "div",
    { class: "table-wrap desk-only", tabindex: 0, role: "region", "aria-label": t("overview.villages") },
    h(
      "table",
      { class: "grid", "aria-label": t("overview.villages") },
      h("thead", {}, h("tr", {}, COLUMNS.map(header))),
      h(
        "tbody",
        {},
        rows.map((row) => {
          const level = row.cue;
          return h(
            "tr",
            { dataset: { village: row.village_code } },
            h("td", {}, h("a", { href: `#/village?code=${row.village_code}` }, row.village_name), h("span", { class: "muted" }, ` ${row.town_name ?? ""}`), row.weak_lax ? h("span", { class: "tags" }, ` ${t("overview.weakLax")}`) : null),
            h("td", {}, row.secretaries.map((s) => h("a", { href: `#/secretary?id=${s.user_id}` }, s.display_name)).flatMap((link, i) => (i ? ["、", link] : [link]))),
            h("td", { class: "num" }, percent(row.coverage)),
            h("td", {}, row.last_visit_at ? since(Date.parse(row.last_visit_at)) : t("household.never")),
            h("td", { class: "num" }, String(row.presence_days_30)),
            h("td", { class: "num" }, String(row.open_flags)),
            h("td", { class: row.rectification?.measures_overdue ? "overdue" : null }, rectification(row)),
            h("td", { class: "num" }, percent(row.awareness_rate)),
            h("td", {}, publicFigures(row)),
            h("td", {}, h("span", { class: `cue wide ${level}` }, t(`cue.${level}`))),
          );
        }),
      ),
    ),
  );
}

const percent = (value) => (value == null ? "—" : `${Math.round(value * 100)}%`);

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
      h("button", { class: "secondary", onclick: () => openToPrint(`/bulletins/${quarter.value}?format=html`) }, t("bulletin.html")),
    ),
  );
}

/** On a phone: a card a village, the cue in words as well as colour. */
function villageRow(row) {
  const level = row.cue;
  const coverage = percent(row.coverage);
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
        row.rectification?.measures > 0 && h("span", { class: row.rectification.measures_overdue ? "overdue" : "muted" }, t("overview.rectFacts", { progress: rectification(row) })),
      ),
      h("span", { class: `cue ${level}` }, h("strong", {}, coverage), t(`cue.${level}`)),
    ),
  );
}

/** Each town's totals over the villages someone is posted to; the others are counted apart. */
function towns(rows) {
  const total = () => ({ villages: 0, unposted: 0, households: 0, visited: 0, red: 0, flags: 0 });
  const byTown = new Map();
  const county = total();
  for (const row of rows) {
    const town = byTown.get(row.town_name) ?? total();
    for (const sum of [town, county]) {
      if (!posted(row)) {
        sum.unposted += 1;
        continue;
      }
      sum.villages += 1;
      sum.households += row.households;
      sum.visited += row.households_visited;
      sum.red += row.cue === "red";
      sum.flags += row.open_flags;
    }
    byTown.set(row.town_name, town);
  }
  const line = (name, sum, cell = "th") =>
    h(
      "tr",
      {},
      h(cell, { scope: "row" }, name ?? "—"),
      h("td", {}, String(sum.villages)),
      h("td", {}, sum.households ? `${Math.round((sum.visited / sum.households) * 100)}%` : "—"),
      h("td", {}, String(sum.red)),
      h("td", {}, String(sum.flags)),
      h("td", {}, String(sum.unposted)),
    );
  return totalsTable(
    t("overview.towns"),
    ["town", "villages", "coverage", "red", "flags", "unposted"],
    [...byTown].sort(([a], [b]) => (a ?? "").localeCompare(b ?? "", "zh-CN")).map(([name, sum]) => line(name, sum)),
    byTown.size > 1 ? line(t("overview.total"), county) : null,
  );
}

/** A table of totals (towns or counties), captioned, in a keyboard-scrollable region. */
function totalsTable(caption, columns, rows, footer = null) {
  return h(
    "div",
    { class: "scroll-x", tabindex: 0, role: "region", "aria-label": caption },
    h(
      "table",
      { class: "totals" },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, t(`overview.col.${c}`))))),
      h("tbody", {}, rows),
      footer ? h("tfoot", {}, footer) : null,
    ),
  );
}

/** 导出 Excel / CSV of the villages on screen: those of ``scope`` when a county was opened. */
function exportButtons(scope = "") {
  return [
    h("button", { class: "secondary", onclick: () => exportAs("xlsx", scope) }, t("overview.exportXlsx")),
    h("button", { class: "secondary", onclick: () => exportAs("csv", scope) }, t("overview.exportCsv")),
  ];
}

/** A province's or city's counties, each a link to its villages; the figures' age is stated. */
function counties(areas) {
  const percent = (row) => (row.coverage == null ? "—" : `${Math.round(row.coverage * 100)}%`);
  const line = (row) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, h("a", { href: `#/overview?scope=${row.code}` }, row.name ?? row.code)),
      [row.posted_villages, percent(row), row.red, row.amber, row.open_flags, row.open_requests, row.villages - row.posted_villages].map((value) => h("td", {}, String(value))),
    );
  return h(
    "div",
    { class: "stack" },
    h("p", { class: "summary" }, t("overview.countiesLead", { count: areas.items.length, asOf: formatTime(areas.as_of) })),
    totalsTable(t("overview.counties"), ["county", "villages", "coverage", "red", "amber", "flags", "requests", "unposted"], areas.items.map(line)),
    h("div", { class: "buttons" }, exportButtons()),
    bulletin(),
  );
}

function exportAs(format, scope = "") {
  const only = scope ? `&scope=${encodeURIComponent(scope)}` : "";
  return download(`/dashboard/villages?days=90&format=${format}${only}`, `${t("overview.fileName")}.${format}`);
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
