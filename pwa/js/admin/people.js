// 人员: the accounts in scope, found by name, role, town and state, and a form for a new one.

import { api } from "../api.js";
import { t } from "../messages.js";
import { h } from "../ui.js";
import "./messages.js";
import { errorLine, field, loadPlaces, placeOptions, roleAndScope } from "./scope.js";

export const title = () => t("people.title");

export async function render({ app, params }) {
  const places = await loadPlaces();
  const filters = {
    q: params.get("q") ?? "",
    role: params.get("role") ?? "",
    scope: params.get("scope") ?? "",
    is_active: params.get("is_active") ?? "true",
  };
  const table = h("div", { class: "stack" });
  const body = h("div", { class: "stack" }, filterForm(app, filters, places), table);
  await showPage(table, filters, places, null);
  return h("div", { class: "stack" }, h("a", { href: "#/admin" }, t("admin.back")), createForm(app, places), body);
}

function filterForm(app, filters, places) {
  const [q, qField] = field("people-q", t("people.search"), h("input", { type: "search", value: filters.q, maxlength: 50 }));
  const [role, roleField] = field(
    "people-role",
    t("people.role"),
    h("select", {}, h("option", { value: "" }, t("people.anyRole")), ["county", "town", "secretary", "inspector", "admin"].map((r) => h("option", { value: r, selected: r === filters.role }, t(`role.${r}`)))),
  );
  const [scope, scopeField] = field(
    "people-town",
    t("people.town"),
    h("select", {}, h("option", { value: "" }, t("people.anyTown")), placeOptions(places.towns, places, filters.scope)),
  );
  const [state, stateField] = field(
    "people-state",
    t("people.state"),
    h(
      "select",
      {},
      [["true", "people.active"], ["false", "people.inactive"], ["", "people.anyState"]].map(([value, key]) => h("option", { value, selected: value === filters.is_active }, t(key))),
    ),
  );
  function apply(event) {
    event.preventDefault();
    const query = new URLSearchParams({ q: q.value.trim(), role: role.value, scope: scope.value, is_active: state.value });
    app.navigate(`#/people?${query}`);
  }
  return h("form", { class: "filters card", onsubmit: apply, role: "search" }, qField, roleField, scopeField, stateField, h("button", { type: "submit" }, t("people.find")));
}

async function showPage(container, filters, places, cursor) {
  const query = new URLSearchParams({ limit: "100" });
  for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
  if (cursor) query.set("cursor", cursor);
  const page = await api(`/users?${query}`);
  if (!cursor) container.replaceChildren();
  if (!page.items.length && !cursor) {
    container.append(h("p", { class: "empty" }, t("admin.none")));
    return;
  }
  container.append(peopleTable(page.items, places));
  if (page.next_cursor) {
    const more = h("button", { class: "secondary", onclick: () => (more.remove(), showPage(container, filters, places, page.next_cursor)) }, t("admin.more"));
    container.append(more);
  }
}

function peopleTable(people, places) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "grid" },
      h("thead", {}, h("tr", {}, ["people.col.name", "people.col.username", "people.col.role", "people.col.scope", "people.col.phone", "people.col.state"].map((k) => h("th", { scope: "col" }, t(k))))),
      h(
        "tbody",
        {},
        people.map((p) =>
          h(
            "tr",
            { dataset: { username: p.username } },
            h("td", {}, h("a", { href: `#/person?id=${p.id}` }, p.display_name)),
            h("td", {}, p.username),
            h("td", {}, t(`role.${p.role}`)),
            h("td", {}, scopeLabel(p.scope_code, places)),
            h("td", {}, p.phone ?? ""),
            h("td", {}, h("span", { class: `badge ${p.is_active ? "sent" : "failed"}` }, t(p.is_active ? "people.active" : "people.inactive"))),
          ),
        ),
      ),
    ),
  );
}

export function scopeLabel(code, places) {
  const region = places.byCode.get(code);
  const town = region?.level === "village" ? places.townOf(code)?.name : null;
  return [town, places.name(code)].filter(Boolean).join(" · ");
}

/** 新建账号: the roles this account may hand out, each with the scopes that fit it. */
function createForm(app, places) {
  const [username, usernameField] = field("new-username", t("people.username"), h("input", { required: true, minlength: 2, maxlength: 50, pattern: "[A-Za-z0-9_.\\-@]+", autocomplete: "off" }));
  const [name, nameField] = field("new-name", t("people.name"), h("input", { required: true, maxlength: 50 }));
  const [phone, phoneField] = field("new-phone", t("people.phone"), h("input", { type: "tel", maxlength: 20, inputmode: "tel" }));
  const [role, roleField, scope, scopeField] = roleAndScope("new", places);
  const [password, passwordField] = field("new-password", t("people.password"), h("input", { type: "password", required: true, minlength: 8, maxlength: 200, autocomplete: "new-password" }));
  const error = errorLine();

  async function submit(event) {
    event.preventDefault();
    error.show("");
    try {
      const created = await api("/users", {
        method: "POST",
        json: {
          username: username.value.trim(),
          display_name: name.value.trim(),
          phone: phone.value.trim() || null,
          role: role.value,
          scope_code: role.value === "admin" ? null : scope.value,
          password: password.value,
        },
      });
      app.navigate(`#/person?id=${created.id}&created=1`);
    } catch (e) {
      error.show(e.words);
    }
  }

  return h(
    "details",
    { class: "card" },
    h("summary", {}, h("strong", {}, t("people.create"))),
    h(
      "form",
      { class: "stack", onsubmit: submit },
      h("p", { class: "muted" }, t("people.createHint")),
      h("div", { class: "form-grid" }, usernameField, nameField, roleField, scopeField, phoneField, passwordField),
      error,
      h("button", { type: "submit", class: "primary" }, t("people.createSubmit")),
    ),
  );
}
