// 读取记录 (admins only): who read which households, visits and photos, when and from where;
// filtered by reader, kind and dates (kept in the address, so a filtered view can be shared),
// read a page at a time, and exported whole as Excel or CSV by the server.

import { api, apiAll, apiBlob } from "../api.js";
import { t } from "../messages.js";
import { h, localInputValue, toast, withOffset } from "../ui.js";
import "./messages.js";
import { field, today } from "./scope.js";

export const title = () => t("audit.title");

const RESOURCES = ["households", "visits", "photos"];
// The filters the lists of households and visits log, by the names those lists take them.
const FILTERS = new Set(["village_code", "q", "not_visited_days", "user_id", "since", "until"]);

export async function render({ app, params }) {
  const chosen = Object.fromEntries(["who", "resource", "from", "to"].map((key) => [key, params.get(key) ?? ""]));
  const [people, tokens] = await Promise.all([apiAll("/users"), apiAll("/api-tokens")]);
  const query = auditQuery(chosen);
  const entries = h("div", { class: "stack" });
  await showPage(entries, query, null);
  return h(
    "div",
    { class: "stack" },
    h("a", { href: "#/admin" }, t("admin.back")),
    h("p", { class: "lead" }, t("audit.lead")),
    filterForm(app, chosen, people, tokens),
    h(
      "div",
      { class: "buttons" },
      h("button", { class: "secondary", onclick: () => download(query, "xlsx") }, t("audit.exportXlsx")),
      h("button", { class: "secondary", onclick: () => download(query, "csv") }, t("audit.exportCsv")),
    ),
    entries,
  );
}

function filterForm(app, chosen, people, tokens) {
  const option = (value, label) => h("option", { value, selected: value === chosen.who }, label);
  const [who, whoField] = field(
    "audit-who",
    t("audit.who"),
    h(
      "select",
      {},
      h("option", { value: "" }, t("audit.anyone")),
      h("optgroup", { label: t("audit.people") }, people.map((p) => option(`user:${p.id}`, `${p.display_name}（${p.username}）`))),
      tokens.length && h("optgroup", { label: t("audit.tokens") }, tokens.map((k) => option(`token:${k.id}`, k.name))),
    ),
  );
  const [resource, resourceField] = field(
    "audit-resource",
    t("audit.resource"),
    h("select", {}, h("option", { value: "" }, t("audit.anyResource")), RESOURCES.map((r) => h("option", { value: r, selected: r === chosen.resource }, t(`audit.resource.${r}`)))),
  );
  const [from, fromField] = field("audit-from", t("audit.from"), h("input", { type: "date", value: chosen.from, max: today() }));
  const [to, toField] = field("audit-to", t("audit.to"), h("input", { type: "date", value: chosen.to, max: today() }));
  function apply(event) {
    event.preventDefault();
    const query = new URLSearchParams({ who: who.value, resource: resource.value, from: from.value, to: to.value });
    app.navigate(`#/audit?${query}`);
  }
  return h("form", { class: "filters card", onsubmit: apply, role: "search" }, whoField, resourceField, fromField, toField, h("button", { type: "submit" }, t("audit.find")));
}

/** The API's filters for the chosen ones: `to` is a whole day, so the log is read until the next midnight. */
function auditQuery(chosen) {
  const query = new URLSearchParams();
  const [kind, id] = chosen.who.split(":");
  if (id) query.set(`${kind}_id`, id);
  if (chosen.resource) query.set("resource", chosen.resource);
  if (chosen.from) query.set("since", midnight(chosen.from, 0));
  if (chosen.to) query.set("until", midnight(chosen.to, 1));
  return query;
}

/** The local midnight that starts the day `days` after YYYY-MM-DD, with its offset. */
function midnight(value, days) {
  const [year, month, date] = value.split("-").map(Number);
  return withOffset(new Date(year, month - 1, date + days));
}

/** A page of entries, newest first, added to the one table; 加载更多 fetches the next. */
async function showPage(container, query, cursor) {
  const paged = new URLSearchParams(query);
  paged.set("limit", "100");
  if (cursor) paged.set("cursor", cursor);
  const page = await api(`/audit?${paged}`);
  if (!page.items.length && !cursor) {
    container.append(h("p", { class: "empty" }, t("admin.none")));
    return;
  }
  if (!cursor) container.append(entryTable());
  container.querySelector("tbody").append(...page.items.map(entryRow));
  if (page.next_cursor) {
    const more = h("button", { class: "secondary", onclick: () => (more.remove(), showPage(container, query, page.next_cursor)) }, t("admin.more"));
    container.append(more);
  }
}

function entryTable() {
  const columns = ["at", "who", "role", "what", "from"];
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "grid audit", "aria-label": t("audit.title") },
      h("thead", {}, h("tr", {}, columns.map((key) => h("th", { scope: "col" }, t(`audit.col.${key}`))))),
      h("tbody"),
    ),
  );
}

function entryRow(e) {
  return h(
    "tr",
    {},
    h("td", { class: "when" }, localInputValue(new Date(e.at)).replace("T", " ")),
    h("td", {}, reader(e)),
    h("td", {}, e.token_id ? t("audit.token") : t(`role.${e.role}`)),
    h("td", {}, what(e)),
    h("td", {}, e.client_addr ?? ""),
  );
}

function reader(e) {
  if (e.token_id) return [e.token_name ?? `#${e.token_id}`, h("br"), h("span", { class: "muted" }, t("audit.token"))];
  return [e.user_display_name ?? `#${e.user_id}`, h("br"), h("span", { class: "muted" }, e.username ?? "")];
}

/** One record by its number, or a list by its filters and how many rows it showed. */
function what(e) {
  const resource = t(`audit.resource.${e.resource}`);
  if (e.record_id) return t("audit.record", { resource, id: e.record_id });
  const filters = Object.entries(e.filters ?? {}).map(([key, value]) => `${FILTERS.has(key) ? t(`audit.filter.${key}`) : key}：${value}`);
  return [t("audit.list", { resource, count: e.row_count }), h("br"), h("span", { class: "muted" }, filters.join("；") || t("audit.noFilter"))];
}

async function download(query, format) {
  const exported = new URLSearchParams(query);
  exported.set("format", format);
  try {
    const blob = await apiBlob(`/audit/export?${exported}`);
    const link = h("a", { href: URL.createObjectURL(blob), download: `${t("audit.fileName")}-${today()}.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (e) {
    toast(e.words ?? String(e));
  }
}
