// 一个村: its facts (name, centre and radius, weak-lax status, rectification and plan) and its
// postings — the whole history, ending one, rotating the first secretary, posting someone new.

import { api, apiAll } from "../api.js";
import { t } from "../messages.js";
import { h } from "../ui.js";
import "./messages.js";
import { attempt, errorLine, field, loadPlaces, today } from "./scope.js";

export const title = () => t("place.title");

const REASON_SEPARATORS = /[、,，;；]/;

export async function render({ app, params }) {
  const code = params.get("code");
  const [places, village, postings, people] = await Promise.all([
    loadPlaces(),
    api(`/regions/${code}`),
    apiAll(`/assignments?village_code=${code}`),
    apiAll("/users?role=secretary"),
  ]);
  const names = new Map(people.map((p) => [p.id, p.display_name]));
  const active = people.filter((p) => p.is_active);
  const town = places.townOf(code);
  return h(
    "div",
    { class: "stack" },
    h("a", { href: "#/places" }, t("place.back")),
    h("h2", {}, [town?.name, village.name].filter(Boolean).join(" · ")),
    factsForm(app, village),
    postingsSection(app, village, postings, names, active),
  );
}

function factsForm(app, village) {
  const number = (value, attrs) => h("input", { type: "number", value: value ?? "", ...attrs });
  const [name, nameField] = field("village-name", t("place.name"), h("input", { required: true, maxlength: 100, value: village.name }));
  const [lat, latField] = field("village-lat", t("place.lat"), number(village.lat, { min: -90, max: 90, step: "any" }));
  const [lon, lonField] = field("village-lon", t("place.lon"), number(village.lon, { min: -180, max: 180, step: "any" }));
  const [radius, radiusField] = field("village-radius", t("place.radius"), number(village.radius_m, { min: 10, max: 50000, step: 1 }));
  const weak = h("input", { type: "checkbox", id: "village-weak", checked: village.weak_lax });
  const [reasons, reasonsField] = field("village-reasons", t("place.reasons"), h("input", { maxlength: 1000, value: village.weak_lax_reasons.join("、") }));
  const [status, statusField] = field(
    "village-status",
    t("place.rectification"),
    h("select", {}, ["none", "rectifying", "accepted"].map((s) => h("option", { value: s, selected: s === village.rectification_status }, t(`place.rectification.${s}`)))),
  );
  const [plan, planField] = field("village-plan", t("place.plan"), h("textarea", { rows: 5, maxlength: 20000 }));
  plan.value = village.plan ?? "";
  const note = h("p", { class: "muted", role: "status" });
  const error = errorLine();

  async function suggest() {
    error.show("");
    try {
      const centre = await api(`/regions/${village.code}/suggested-centre`);
      if (centre.lat == null) {
        note.textContent = t("place.noCheckins", { days: centre.days });
        return;
      }
      lat.value = centre.lat;
      lon.value = centre.lon;
      note.textContent = t("place.suggested", { days: centre.days, count: centre.checkins });
    } catch (e) {
      error.show(e.words);
    }
  }

  function submit(event) {
    event.preventDefault();
    const numberOrNull = (input) => (input.value === "" ? null : Number(input.value));
    const json = {
      name: name.value.trim(),
      lat: numberOrNull(lat),
      lon: numberOrNull(lon),
      radius_m: numberOrNull(radius),
      weak_lax: weak.checked,
      weak_lax_reasons: reasons.value.split(REASON_SEPARATORS).map((r) => r.trim()).filter(Boolean),
      rectification_status: status.value,
      plan: plan.value.trim() || null,
    };
    attempt(app, error, () => api(`/regions/${village.code}`, { method: "PATCH", json }));
  }

  return h(
    "form",
    { class: "card stack", onsubmit: submit, "aria-labelledby": "facts-title" },
    h("h3", { id: "facts-title" }, t("place.facts")),
    h("div", { class: "form-grid" }, nameField, radiusField, latField, lonField),
    h("button", { type: "button", class: "secondary", onclick: suggest }, t("place.suggest")),
    note,
    h("label", { class: "choice", for: "village-weak" }, weak, t("place.weakLax")),
    h("div", { class: "form-grid" }, reasonsField, statusField),
    planField,
    error,
    h("button", { type: "submit", class: "primary" }, t("place.save")),
  );
}

function postingsSection(app, village, postings, names, people) {
  const rows = postings.slice().sort((a, b) => b.start_date.localeCompare(a.start_date));
  const now = today();
  const current = rows.filter((a) => a.start_date <= now && (!a.end_date || a.end_date >= now));
  const error = errorLine();
  const panel = h("div", { class: "stack" });
  const act = (request, done) => attempt(app, error, request, done);

  function endPosting(posting) {
    const [date, dateField] = field("end-date", t("place.endOn"), h("input", { type: "date", required: true, value: now, min: posting.start_date }));
    const submit = (event) => {
      event.preventDefault();
      act(() => api(`/assignments/${posting.id}`, { method: "PATCH", json: { end_date: date.value } }), "place.ended");
    };
    panel.replaceChildren(h("form", { class: "card stack", onsubmit: submit }, h("h3", {}, `${t("place.end")}：${names.get(posting.user_id) ?? ""}`), dateField, h("button", { type: "submit", class: "danger" }, t("place.end"))));
  }

  function rotate(posting) {
    const candidates = people.filter((p) => p.id !== posting.user_id);
    const [successor, successorField] = field("successor", t("place.successor"), h("select", { required: true }, candidates.map((p) => h("option", { value: p.id }, `${p.display_name}（${p.username}）`))));
    const [date, dateField] = field("rotate-date", t("place.rotateDate"), h("input", { type: "date", required: true, value: now }));
    const [unit, unitField] = field("rotate-unit", t("place.rotateUnit"), h("input", { maxlength: 100, placeholder: posting.dispatch_unit }));
    const submit = (event) => {
      event.preventDefault();
      const json = { successor_user_id: Number(successor.value), date: date.value, dispatch_unit: unit.value.trim() || null };
      act(() => api(`/assignments/${posting.id}/rotate`, { method: "POST", json }), "place.rotated");
    };
    panel.replaceChildren(
      h(
        "form",
        { class: "card stack", onsubmit: submit, "aria-labelledby": "rotate-title" },
        h("h3", { id: "rotate-title" }, t("place.rotateTitle")),
        h("p", { class: "muted" }, t("place.rotateHint")),
        h("div", { class: "form-grid" }, successorField, dateField, unitField),
        h("button", { type: "submit", class: "primary" }, t("place.rotateSubmit")),
      ),
    );
  }

  return h(
    "section",
    { class: "stack", "aria-labelledby": "postings-title" },
    h("h3", { id: "postings-title" }, t("place.history")),
    rows.length ? historyTable(rows, current, names, { endPosting, rotate }) : h("p", { class: "muted" }, t("person.noPostings")),
    error,
    panel,
    newPosting(village, people, act),
  );
}

function historyTable(rows, current, names, actions) {
  const columns = ["place.col.person", "place.col.position", "place.col.unit", "place.col.from", "place.col.to", "place.col.actions"];
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "grid" },
      h("thead", {}, h("tr", {}, columns.map((k) => h("th", { scope: "col" }, t(k))))),
      h(
        "tbody",
        {},
        rows.map((a) => {
          const open = !a.end_date || a.end_date >= today();
          return h(
            "tr",
            { dataset: { posting: a.id } },
            h("td", {}, h("a", { href: `#/person?id=${a.user_id}` }, names.get(a.user_id) ?? `#${a.user_id}`)),
            h("td", {}, t(`position.${a.position}`)),
            h("td", {}, a.dispatch_unit),
            h("td", {}, a.start_date),
            h("td", {}, a.end_date ?? t("place.ongoing")),
            h(
              "td",
              { class: "buttons" },
              current.includes(a) && a.position === "first_secretary" && h("button", { class: "secondary", onclick: () => actions.rotate(a) }, t("place.rotate")),
              open && h("button", { class: "secondary", onclick: () => actions.endPosting(a) }, t("place.end")),
            ),
          );
        }),
      ),
    ),
  );
}

function newPosting(village, people, act) {
  if (!people.length) return h("p", { class: "muted" }, t("place.noCandidates"));
  const [person, personField] = field("posting-person", t("place.person"), h("select", { required: true }, people.map((p) => h("option", { value: p.id }, `${p.display_name}（${p.username}）`))));
  const [position, positionField] = field("posting-position", t("place.col.position"), h("select", {}, ["first_secretary", "team_member"].map((p) => h("option", { value: p }, t(`position.${p}`)))));
  const [unit, unitField] = field("posting-unit", t("place.col.unit"), h("input", { required: true, maxlength: 100, placeholder: t("place.unitExample") }));
  const [start, startField] = field("posting-start", t("place.col.from"), h("input", { type: "date", required: true, value: today() }));
  const submit = (event) => {
    event.preventDefault();
    const json = { user_id: Number(person.value), village_code: village.code, position: position.value, dispatch_unit: unit.value.trim(), start_date: start.value };
    act(() => api("/assignments", { method: "POST", json }), "place.posted");
  };
  return h(
    "form",
    { class: "card stack", onsubmit: submit, "aria-labelledby": "new-posting-title" },
    h("h3", { id: "new-posting-title" }, t("place.newPosting")),
    h("div", { class: "form-grid" }, personField, positionField, unitField, startField),
    h("button", { type: "submit", class: "primary" }, t("place.post")),
  );
}
