// 一个人: change their details, switch the account off or on, reset the password (shown once),
// and their postings — with a form to post a secretary to a village.

import { api, apiAll } from "../api.js";
import { t } from "../messages.js";
import { session } from "../session.js";
import { h } from "../ui.js";
import "./messages.js";
import { scopeLabel } from "./people.js";
import { attempt, errorLine, field, loadPlaces, placeOptions, roleAndScope, today } from "./scope.js";

export const title = () => t("person.title");

export async function render({ app, params }) {
  const id = Number(params.get("id"));
  const [places, person, postings] = await Promise.all([loadPlaces(), api(`/users/${id}`), apiAll(`/assignments?user_id=${id}`)]);
  const self = person.id === session().me.id;
  return h(
    "div",
    { class: "stack" },
    h("a", { href: "#/people" }, t("person.back")),
    params.get("created") && h("p", { class: "warn-text", role: "status" }, t("person.created")),
    summary(person, places),
    editForm(app, person, places, self),
    !self && accountActions(app, person),
    person.role === "secretary" && postingsSection(app, person, postings, places),
  );
}

function summary(person, places) {
  return h(
    "section",
    { class: "card stack", "aria-label": t("person.title") },
    h("h2", {}, person.display_name, " ", h("span", { class: `badge ${person.is_active ? "sent" : "failed"}` }, t(person.is_active ? "people.active" : "people.inactive"))),
    h("p", { class: "muted" }, [person.username, t(`role.${person.role}`), scopeLabel(person.scope_code, places) || t("account.scopeAll")].join(" · ")),
    person.must_change_password && h("p", { class: "muted" }, t("person.mustChange")),
  );
}

function editForm(app, person, places, self) {
  const [name, nameField] = field("edit-name", t("people.name"), h("input", { required: true, maxlength: 50, value: person.display_name }));
  const [phone, phoneField] = field("edit-phone", t("people.phone"), h("input", { type: "tel", maxlength: 20, placeholder: person.phone ?? "" }));
  const [role, roleField, scope, scopeField] = roleAndScope("edit", places, { role: person.role, scope: person.scope_code, disabled: self });
  const error = errorLine();

  function submit(event) {
    event.preventDefault();
    const changes = { display_name: name.value.trim() };
    if (phone.value.trim()) changes.phone = phone.value.trim(); // shown masked: blank keeps the number
    if (!self && role.value !== person.role) changes.role = role.value;
    if (!self && role.value !== "admin" && scope.value !== person.scope_code) changes.scope_code = scope.value;
    attempt(app, error, () => api(`/users/${person.id}`, { method: "PATCH", json: changes }));
  }

  return h(
    "form",
    { class: "card stack", onsubmit: submit, "aria-labelledby": "edit-title" },
    h("h2", { id: "edit-title" }, t("person.edit")),
    h("div", { class: "form-grid" }, nameField, phoneField, roleField, scopeField),
    h("p", { class: "muted" }, t("person.phoneHint")),
    error,
    h("button", { type: "submit", class: "primary" }, t("person.save")),
  );
}

/** 停用 / 启用 and 重置密码, each confirmed first; the temporary password is shown once. */
function accountActions(app, person) {
  const error = errorLine();
  const shown = h("div", { class: "stack", hidden: true });

  function switchActive() {
    const key = person.is_active ? "person.confirmDeactivate" : "person.confirmReactivate";
    if (!confirm(t(key, { name: person.display_name }))) return;
    const request = () => api(`/users/${person.id}`, { method: "PATCH", json: { is_active: !person.is_active } });
    attempt(app, error, request, person.is_active ? "person.deactivated" : "person.reactivated");
  }

  async function reset() {
    if (!confirm(t("person.confirmReset", { name: person.display_name }))) return;
    try {
      const { temporary_password: temporary } = await api(`/users/${person.id}/password-reset`, { method: "POST" });
      shown.replaceChildren(h("p", {}, t("person.temporary", { name: person.display_name })), h("p", { class: "secret", "aria-label": t("person.temporaryLabel") }, temporary));
      shown.hidden = false;
    } catch (e) {
      error.show(e.words);
    }
  }

  return h(
    "section",
    { class: "card stack", "aria-labelledby": "account-title" },
    h("h2", { id: "account-title" }, t("person.account")),
    h("p", { class: "muted" }, t(person.is_active ? "person.deactivateHint" : "person.reactivateHint")),
    h(
      "div",
      { class: "buttons" },
      h("button", { class: person.is_active ? "danger" : "primary", onclick: switchActive }, t(person.is_active ? "person.deactivate" : "person.reactivate")),
      person.is_active && h("button", { class: "secondary", onclick: reset }, t("person.reset")),
    ),
    shown,
    error,
  );
}

function postingsSection(app, person, postings, places) {
  const rows = postings.slice().sort((a, b) => b.start_date.localeCompare(a.start_date));
  return h(
    "section",
    { class: "stack", "aria-labelledby": "postings-title" },
    h("h2", { id: "postings-title" }, t("person.postings")),
    rows.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "grid" },
            h("thead", {}, h("tr", {}, ["place.col.village", "place.col.position", "place.col.unit", "place.col.from", "place.col.to"].map((k) => h("th", { scope: "col" }, t(k))))),
            h(
              "tbody",
              {},
              rows.map((a) =>
                h(
                  "tr",
                  {},
                  h("td", {}, h("a", { href: `#/place?code=${a.village_code}` }, scopeLabel(a.village_code, places))),
                  h("td", {}, t(`position.${a.position}`)),
                  h("td", {}, a.dispatch_unit),
                  h("td", {}, a.start_date),
                  h("td", {}, a.end_date ?? t("place.ongoing")),
                ),
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("person.noPostings")),
    person.is_active && postForm(app, person, places),
  );
}

/** 派驻到村: the secretary's scope moves to the village with the posting (api/auth/accounts.py). */
function postForm(app, person, places) {
  const [village, villageField] = field("post-village", t("place.col.village"), h("select", { required: true }, placeOptions(places.villages, places, person.scope_code)));
  const [position, positionField] = field("post-position", t("place.col.position"), h("select", {}, ["first_secretary", "team_member"].map((p) => h("option", { value: p }, t(`position.${p}`)))));
  const [unit, unitField] = field("post-unit", t("place.col.unit"), h("input", { required: true, maxlength: 100, placeholder: t("place.unitExample") }));
  const [start, startField] = field("post-start", t("place.col.from"), h("input", { type: "date", required: true, value: today() }));
  const [end, endField] = field("post-end", t("place.endOptional"), h("input", { type: "date" }));
  const error = errorLine();

  function submit(event) {
    event.preventDefault();
    const json = { user_id: person.id, village_code: village.value, position: position.value, dispatch_unit: unit.value.trim(), start_date: start.value, end_date: end.value || null };
    attempt(app, error, () => api("/assignments", { method: "POST", json }), "person.posted");
  }

  return h(
    "form",
    { class: "card stack", onsubmit: submit, "aria-labelledby": "post-title" },
    h("h3", { id: "post-title" }, t("person.post")),
    h("div", { class: "form-grid" }, villageField, positionField, unitField, startField, endField),
    error,
    h("button", { type: "submit", class: "primary" }, t("person.postSubmit")),
  );
}
