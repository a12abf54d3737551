// 整改台账 on the village page: the problems found, each with its measures (status, deadline,
// overdue, the latest progress from the village), the forms to add problems and measures, the
// town's 确认完成 / 退回 of a measure reported done, the county's 验收通过 / 退回 of the whole
// rectification, and the history of every step. Each action redraws only this section, so the
// page stays where it was.

import { api } from "../api.js";
import { formatTime, h, toast } from "../ui.js";
import { t } from "./messages.js";

const CATEGORIES = ["disunity", "weak_leader", "weak_economy", "poor_service", "petitions", "lax_organisation", "other"];
const RESPONSIBLE = ["first_secretary", "town_team", "dispatch_unit"];
const WRITERS = new Set(["admin", "county", "town"]);
const ACCEPTORS = new Set(["admin", "county"]);

/** The section, drawn when the ledger arrives and again after each change. */
export function ledgerSection(code, role) {
  const box = h("section", { class: "stack", "aria-labelledby": "ledger-title" });
  async function draw() {
    let ledger;
    try {
      ledger = await api(`/villages/${code}/rectification`);
    } catch (e) {
      box.replaceChildren(h("h2", { id: "ledger-title" }, t("rect.title")), h("p", { class: "muted" }, t("rect.unavailable", { reason: e.words })));
      return;
    }
    box.replaceChildren(...content(ledger, code, role, draw).filter((node) => node != null && node !== false));
  }
  box.append(h("h2", { id: "ledger-title" }, t("rect.title")));
  draw();
  return box;
}

function content(ledger, code, role, redraw) {
  const s = ledger.summary;
  const status = ledger.rectification_status;
  const chip = status === "accepted" ? "sent" : status === "rectifying" ? "pending" : "";
  return [
    h("h2", { id: "ledger-title" }, t("rect.title"), " ", h("span", { class: `badge ${chip}` }, t(`rect.status.${status}`))),
    h(
      "p",
      { class: "summary" },
      t("rect.summary", { problems: s.problems, measures: s.measures, done: s.measures_done, confirmed: s.measures_confirmed }),
      s.measures_overdue > 0 && h("span", { class: "overdue" }, ` ${t("rect.overdueCount", { count: s.measures_overdue })}`),
    ),
    !ledger.problems.length && h("p", { class: "empty" }, t("rect.none")),
    ...ledger.problems.map((p) => problemCard(p, role, redraw)),
    WRITERS.has(role) && problemForm(code, redraw),
    ACCEPTORS.has(role) && acceptance(code, ledger, redraw),
    history(ledger.history),
  ];
}

function problemCard(p, role, redraw) {
  return h(
    "article",
    { class: "card stack", "aria-label": `${p.category_label}：${p.description.slice(0, 30)}`, dataset: { problem: p.id } },
    h("h3", {}, p.category_label),
    h("p", { class: "notes" }, p.description),
    h("span", { class: "muted" }, t("rect.found", { by: p.found_by, on: p.found_on, name: p.created_by_name ?? "" })),
    p.measures.length
      ? h("ul", { class: "list", "aria-label": t("rect.measuresOf", { category: p.category_label }) }, p.measures.map((m) => measureItem(m, role, redraw)))
      : h("p", { class: "muted" }, t("rect.noMeasures")),
    WRITERS.has(role) && measureForm(p, redraw),
  );
}

function measureItem(m, role, redraw) {
  const latest = m.progress[0];
  const chip = m.status === "confirmed" ? "sent" : m.status === "done" ? "pending" : "";
  return h(
    "li",
    { class: "record stack", dataset: { measure: m.id } },
    h(
      "div",
      { class: "row" },
      h("strong", {}, m.text),
      h("span", {}, m.overdue && h("span", { class: "badge failed" }, t("rect.overdue")), " ", h("span", { class: `badge ${chip}` }, m.status_label)),
    ),
    h("span", { class: "muted" }, t("rect.target", { text: m.target })),
    h("span", { class: m.overdue ? "overdue" : "muted" }, t("rect.due", { date: m.deadline, who: m.responsible_label })),
    m.returned_reason && h("p", { class: "warn-text" }, t("rect.returned", { reason: m.returned_reason })),
    latest &&
      h(
        "p",
        { class: "notes" },
        t("rect.latest", { name: latest.user_name ?? "", time: formatTime(latest.at), text: latest.text }),
        latest.photo_ids.length > 0 && ` ${t("rect.photos", { count: latest.photo_ids.length })}`,
        m.progress.length > 1 && h("span", { class: "muted" }, ` ${t("rect.moreProgress", { count: m.progress.length - 1 })}`),
      ),
    m.status === "confirmed" && m.confirmed_at && h("span", { class: "muted" }, t("rect.confirmedAt", { time: formatTime(m.confirmed_at) })),
    m.status === "done" && WRITERS.has(role) && review(m, redraw),
  );
}

/** 确认完成, or 退回 with the reason the village will read on the phone. */
function review(m, redraw) {
  const id = `return-${m.id}`;
  const reason = h("textarea", { id, rows: 2, maxlength: 500 });
  const field = h("div", { class: "field", hidden: true }, h("label", { for: id }, t("rect.returnReason")), reason);
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  async function decide(decision) {
    error.hidden = true;
    if (decision === "return" && field.hidden) {
      field.hidden = false;
      reason.focus();
      return;
    }
    if (decision === "return" && !reason.value.trim()) return fail(error, t("rect.needReason"), reason);
    try {
      await api(`/rectification/measures/${m.id}/review`, { method: "POST", json: decision === "return" ? { decision, reason: reason.value.trim() } : { decision } });
      toast(t(`rect.reviewed.${decision}`));
      redraw();
    } catch (e) {
      fail(error, e.words);
    }
  }
  return h(
    "div",
    { class: "stack" },
    field,
    error,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "button", class: "primary", onclick: () => decide("confirm") }, t("rect.confirm")),
      h("button", { type: "button", class: "secondary", onclick: () => decide("return") }, t("rect.return")),
    ),
  );
}

function fail(error, words, focus) {
  error.textContent = words;
  error.hidden = false;
  focus?.focus();
}

/** A labelled control; `name` doubles as the form field's name. */
function field(prefix, name, label, control) {
  control.id = `${prefix}-${name}`;
  control.name = name;
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

/** A form behind a disclosure, sent as JSON; the section redraws after it succeeds. */
function disclosure(summary, fields, send, redraw, done) {
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: async (event) => {
        event.preventDefault();
        error.hidden = true;
        const values = Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v).trim()]));
        try {
          await send(values);
          toast(done);
          redraw();
        } catch (e) {
          fail(error, e.words);
        }
      },
    },
    fields,
    error,
    h("button", { type: "submit", class: "primary" }, t("rect.save")),
  );
  return h("details", { class: "card" }, h("summary", {}, summary), form);
}

function problemForm(code, redraw) {
  const today = new Date().toLocaleDateString("sv-SE");
  return disclosure(
    t("rect.addProblem"),
    [
      field("problem", "category", t("rect.category"), h("select", {}, CATEGORIES.map((c) => h("option", { value: c }, t(`rect.category.${c}`))))),
      field("problem", "description", t("rect.description"), h("textarea", { rows: 3, maxlength: 2000, required: true })),
      field("problem", "found_by", t("rect.foundBy"), h("input", { maxlength: 100, required: true })),
      field("problem", "found_on", t("rect.foundOn"), h("input", { type: "date", max: today, value: today, required: true })),
    ],
    (body) => api(`/villages/${code}/rectification/problems`, { method: "POST", json: body }),
    redraw,
    t("rect.problemAdded"),
  );
}

function measureForm(p, redraw) {
  const prefix = `measure-${p.id}`;
  return disclosure(
    t("rect.addMeasure"),
    [
      field(prefix, "text", t("rect.measureText"), h("textarea", { rows: 2, maxlength: 2000, required: true })),
      field(prefix, "target", t("rect.measureTarget"), h("textarea", { rows: 2, maxlength: 2000, required: true })),
      field(prefix, "deadline", t("rect.deadline"), h("input", { type: "date", required: true })),
      field(prefix, "responsible", t("rect.responsible"), h("select", {}, RESPONSIBLE.map((r) => h("option", { value: r }, t(`rect.responsible.${r}`))))),
    ],
    (body) => api(`/rectification/problems/${p.id}/measures`, { method: "POST", json: body }),
    redraw,
    t("rect.measureAdded"),
  );
}

/** The county's word on the whole rectification: 验收通过 once every measure is confirmed, or 退回. */
function acceptance(code, ledger, redraw) {
  const s = ledger.summary;
  const reason = h("textarea", { id: "acceptance-reason", rows: 2, maxlength: 500 });
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  const ready = s.measures > 0 && s.measures_confirmed === s.measures;
  async function decide(decision) {
    error.hidden = true;
    const text = reason.value.trim();
    if (decision === "return" && !text) return fail(error, t("rect.needReason"), reason);
    try {
      await api(`/villages/${code}/rectification/review`, { method: "POST", json: text ? { decision, reason: text } : { decision } });
      toast(t(`rect.reviewed.${decision}`));
      redraw();
    } catch (e) {
      fail(error, e.words);
    }
  }
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "acceptance-title" },
    h("h3", { id: "acceptance-title" }, t("rect.acceptance")),
    h("p", { class: "muted" }, ready ? t("rect.acceptReady") : t("rect.acceptNotReady", { count: s.measures - s.measures_confirmed })),
    h("div", { class: "field" }, h("label", { for: "acceptance-reason" }, t("rect.acceptanceReason")), reason),
    error,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "button", class: "primary", onclick: () => decide("accept") }, t("rect.accept")),
      h("button", { type: "button", class: "secondary", onclick: () => decide("return") }, t("rect.acceptReturn")),
    ),
  );
}

function history(events) {
  if (!events.length) return null;
  return h(
    "details",
    { class: "card" },
    h("summary", {}, t("rect.history", { count: events.length })),
    h(
      "ol",
      { class: "list compact", "aria-label": t("rect.historyLabel") },
      events.map((e) =>
        h("li", { class: "stack" }, h("span", {}, h("strong", {}, e.action_label), " ", h("span", { class: "muted" }, `${formatTime(e.at)} · ${e.user_name ?? ""}`)), e.note && h("span", { class: "notes" }, e.note)),
      ),
    ),
  );
}
