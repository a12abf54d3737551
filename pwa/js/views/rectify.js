// 整改: the village's ledger, kept on the phone for offline use; progress goes via the outbox.

import { api } from "../api.js";
import { get, put } from "../db.js";
import { t } from "../messages.js";
import { records } from "../outbox.js";
import { session } from "../session.js";
import { h, toast, withOffset } from "../ui.js";
import { photoPicker, saveOnPhone } from "./common.js";

export const title = () => t("rectify.title");

export async function render({ app }) {
  const key = `ledger:${app.village()}`;
  let data, kept;
  try {
    data = await api(`/villages/${app.village()}/rectification`);
    await put("kv", { data }, key);
  } catch (error) {
    kept = await get("kv", key);
    if (!kept || !error.retryable) throw error;
    data = kept.data;
  }
  const waiting = (await records()).filter((r) => r.type === "progress" && r.state !== "sent");
  const s = data.summary;
  return h(
    "div",
    { class: "stack" },
    kept && h("p", { class: "warn-text", role: "status" }, t("rectify.kept")),
    h("p", { class: "summary" }, t(`rectify.status.${data.rectification_status}`), s.measures > 0 && ` · ${t("rectify.summary", s)}`, s.measures_overdue > 0 && h("span", { class: "overdue" }, ` · ${t("rectify.overdueCount", s)}`)),
    !data.problems.length && h("p", { class: "empty" }, t("rectify.none")),
    data.problems.map((p) =>
      h(
        "section",
        { class: "card stack" },
        h("h2", {}, p.category_label),
        h("p", { class: "notes" }, p.description),
        h("ul", { class: "list" }, p.measures.map((m) => measure(m, waiting, app))),
      ),
    ),
  );
}

function measure(m, waiting, app) {
  const badge = { confirmed: "sent", done: "pending" }[m.status] ?? "";
  const report = h("button", { type: "button", class: "secondary", onclick: () => report.replaceWith(form(m, app)) }, t("rectify.report"));
  return h(
    "li",
    { class: "record stack", dataset: { measure: m.id } },
    h("div", { class: "row" }, h("strong", {}, m.text), h("span", {}, m.overdue && h("span", { class: "badge failed" }, t("rectify.overdue")), " ", h("span", { class: `badge ${badge}` }, m.status_label))),
    h("span", { class: "muted" }, t("rectify.target", m)),
    h("span", { class: m.overdue ? "overdue" : "muted" }, t("rectify.due", m)),
    m.returned_reason && h("p", { class: "warn-text" }, t("rectify.returned", m)),
    waiting.filter((r) => r.body.measure_id === m.id).map((r) => h("p", { class: "warn-text" }, t("rectify.waiting", r.body))),
    m.status !== "confirmed" && report,
  );
}

function form(m, app) {
  const id = `progress-${m.id}`;
  const photos = [];
  const text = h("textarea", { id, rows: 4, maxlength: 2000 });
  const done = h("input", { type: "checkbox", id: `${id}-done` });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "primary big" }, t("visit.save"));
  async function submit(event) {
    event.preventDefault();
    error.textContent = t("progress.needText");
    if (!(error.hidden = Boolean(text.value.trim()))) return;
    const rid = crypto.randomUUID();
    const body = { id: rid, measure_id: m.id, at: withOffset(new Date()), text: text.value.trim(), photo_ids: photos.map((p) => p.id), done: done.checked };
    const record = { id: rid, type: "progress", username: session().username, label: t("progress.label", { text: m.text.slice(0, 20) }), body };
    if (!(await saveOnPhone({ record, photos, button: save, error }))) return;
    toast(t("progress.saved"));
    await app.recorded();
    app.refresh();
  }
  return h(
    "form",
    { class: "stack", onsubmit: submit },
    h("div", { class: "field" }, h("label", { for: id }, t("progress.text")), text),
    photoPicker(photos),
    h("label", { class: "choice", for: done.id }, done, t("progress.done")),
    error,
    save,
  );
}
