// An inspector's screens: 督查, 核查清单, 入户核查 (answers go into the outbox like any record) and
// 督查结果. The checklist works offline from the download, its marks from the outbox.

import { api, apiAll } from "../api.js";
import { get, getAll, transact } from "../db.js";
import { t } from "../messages.js";
import { amend, records } from "../outbox.js";
import { session } from "../session.js";
import { formatTime, h, toast } from "../ui.js";
import { saveOnPhone, stateBadge } from "./common.js";

const named = (i) => `${i.village_name} · ${t(`mode.${i.mode}`)}`;
const place = (x) => h("span", { class: "muted" }, [x.group_name, x.address].filter(Boolean).join(" · "));
const link = (href, text, kind = "secondary") => h("a", { class: `button ${kind}`, href }, text);

/** A downloaded inspection, and this phone's answers to it by household. */
async function onPhone(id) {
  const answers = new Map();
  for (const r of await records()) if (r.type === "answer" && r.inspection_id === id) answers.set(r.body.household_id, r);
  return { inspection: await get("inspections", id), answers };
}

async function attempt(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    button.disabled = false;
    toast(e.words ?? String(e));
  }
}

export const inspect = { title: () => t("inspect.title"), render: renderList };

async function renderList({ app }) {
  const all = new Map((await getAll("inspections")).map((i) => [i.id, i]));
  const kept = new Set(all.keys());
  let places = null;
  try {
    const today = new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
    const [page, regions, postings] = await Promise.all([api("/inspections?limit=50"), apiAll("/regions"), apiAll(`/assignments?active_on=${today}`)]);
    for (const i of page.items) all.set(i.id, i); // fresher figures
    places = { regions, posted: new Set(postings.map((a) => a.village_code)) };
  } catch (error) {
    if (!error.network && error.status !== 401) throw error; // else: what is on the phone
  }
  const townOf = (code) => places?.regions.find((r) => r.code === places.regions.find((v) => v.code === code)?.parent_code)?.name;
  const item = (i) => {
    const download = h("button", { class: "secondary" }, t("inspect.download"));
    download.onclick = () =>
      attempt(download, async () => {
        const full = await api(`/inspections/${i.id}`);
        await transact("inspections", "readwrite", (s) => s.inspections.put(full));
        toast(t("inspect.downloaded"));
        app.refresh();
      });
    const facts = t("inspect.facts", { time: formatTime(i.created_at), size: i.sample_size, answered: i.answered });
    const open = kept.has(i.id) ? link(`#/inspection?id=${i.id}`, t("checklist.title"), "primary") : download;
    return h(
      "li",
      { class: "record stack" },
      h("strong", {}, [townOf(i.village_code), named(i)].filter(Boolean).join(" · ")),
      h("span", { class: "muted" }, i.published_at ? `${facts} · ${t("inspect.published")}` : facts),
      h("div", { class: "buttons" }, open, link(`#/results?id=${i.id}`, t("results.title"))),
    );
  };
  const shown = [...all.values()].sort((a, b) => b.id - a.id);
  return h(
    "div",
    { class: "stack" },
    places ? startForm(places, app) : h("p", { class: "warn-text" }, t("inspect.offline")),
    shown.length ? h("ul", { class: "list", "aria-label": t("inspect.title") }, shown.map(item)) : h("p", { class: "empty" }, t("inspect.none")),
  );
}

/** 发起督查: the town, then one of its villages — those someone is posted to, unless asked for all. */
function startForm({ regions, posted }, app) {
  const byName = (a, b) => a.name.localeCompare(b.name, "zh-CN");
  const towns = regions.filter((r) => r.level === "town").sort(byName);
  const town = h("select", { id: "new-town" }, towns.map((r) => h("option", { value: r.code }, r.name)));
  const village = h("select", { id: "new-village", required: true });
  const everyVillage = h("input", { type: "checkbox", id: "new-all" });
  const fill = () => {
    const choices = regions.filter((r) => r.level === "village" && r.parent_code === town.value && (everyVillage.checked || posted.has(r.code))).sort(byName);
    village.replaceChildren(...choices.map((v) => h("option", { value: v.code }, v.name)));
    if (!choices.length) village.append(h("option", { value: "" }, t("inspect.noPosted")));
  };
  town.addEventListener("change", fill);
  everyVillage.addEventListener("change", fill);
  fill();
  const size = h("input", { id: "new-size", type: "number", inputmode: "numeric", min: 1, max: 200, value: 10 });
  const mode = h("select", { id: "new-mode" }, ["open", "undercover"].map((m) => h("option", { value: m }, t(`mode.${m}`))));
  const button = h("button", { type: "submit", class: "primary big" }, t("inspect.start"));
  const field = (input, key) => h("div", { class: "field" }, h("label", { for: input.id }, t(key)), input);
  const submit = (event) => {
    event.preventDefault();
    attempt(button, async () => {
      const json = { village_code: village.value, sample_size: Number(size.value), mode: mode.value };
      await api("/inspections", { method: "POST", json });
      app.refresh();
    });
  };
  return h(
    "form",
    { class: "card stack", onsubmit: submit },
    h("h2", {}, t("inspect.new")),
    field(town, "inspect.town"),
    field(village, "inspect.village"),
    h("label", { class: "choice", for: "new-all" }, everyVillage, t("inspect.everyVillage")),
    field(size, "inspect.size"),
    field(mode, "inspect.mode"),
    button,
  );
}

export const inspection = { title: () => t("checklist.title"), render: renderChecklist };

async function renderChecklist({ params }) {
  const id = Number(params.get("id"));
  const { inspection, answers } = await onPhone(id);
  if (!inspection) return h("p", { class: "empty" }, t("checklist.missing"));
  const unsent = [...answers.values()].filter((r) => r.state !== "sent").length;
  const progress = t("checklist.progress", { done: answers.size, total: inspection.households.length });
  const row = (x) => {
    const answer = answers.get(x.household_id);
    const mark = answer ? [t("checklist.done"), stateBadge(answer)] : t("checklist.todo");
    const href = `#/answer?inspection=${id}&household=${x.household_id}`;
    const main = h("span", { class: "row-main" }, h("strong", {}, x.head_name), place(x));
    // An answer the server has is final: the row no longer opens the form.
    const final = answer?.state === "sent";
    const row = h(final ? "div" : "a", { class: "row", href: final ? null : href });
    row.append(main, h("span", { class: "row-side" }, mark));
    return h("li", { class: answer ? "done" : null }, row);
  };
  return h(
    "div",
    { class: "stack" },
    h("h2", {}, named(inspection)),
    h("p", { class: "summary", role: "status" }, unsent ? progress + t("checklist.waiting", { count: unsent }) : progress),
    h("ol", { class: "list", "aria-label": t("checklist.title") }, inspection.households.map(row)),
    link(`#/results?id=${id}`, t("results.title")),
  );
}

const YES_NO = ["true", "false"];
const QUESTIONS = { reached: YES_NO, knows_secretary: YES_NO, recalls_visit: YES_NO, satisfied: ["yes", "no", "unsure"] };

export const answer = { title: () => t("answer.title"), render: renderAnswer };

async function renderAnswer({ app, params }) {
  const id = Number(params.get("inspection"));
  const householdId = Number(params.get("household"));
  const { inspection, answers } = await onPhone(id);
  const household = inspection?.households.find((x) => x.household_id === householdId);
  if (!household) return h("p", { class: "empty" }, t("checklist.missing"));
  const earlier = answers.get(householdId);
  const before = earlier?.body ?? {};
  const groups = {};
  for (const [q, values] of Object.entries(QUESTIONS)) {
    const radio = (value) => h("input", { type: "radio", name: q, value, checked: String(before[q]) === value, onchange: update });
    const choice = (value) => h("label", { class: "choice" }, radio(value), t(`q.${q}.${value}`));
    groups[q] = h("fieldset", { class: "choices" }, h("legend", {}, t(`q.${q}`)), values.map(choice));
  }
  const chosen = (q) => groups[q].querySelector(":checked")?.value;
  const more = h("div", { class: "stack" }, groups.knows_secretary, groups.recalls_visit, groups.satisfied);
  function update() {
    more.hidden = chosen("reached") !== "true"; // nobody met, nothing more to ask
  }
  update();
  const note = h("textarea", { id: "answer-note", rows: 3, maxlength: 2000 }, before.note ?? "");
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "primary big" }, t("visit.save"));
  const form = h(
    "form",
    { class: "stack", onsubmit: submit, novalidate: true },
    h("div", { class: "card" }, h("strong", {}, household.head_name), h("br"), place(household)),
    groups.reached,
    more,
    h("div", { class: "field" }, h("label", { for: "answer-note" }, t("answer.note")), note),
    error,
    save,
  );

  async function submit(event) {
    event.preventDefault();
    const reached = chosen("reached") === "true";
    const missing = Object.keys(QUESTIONS).find((q) => (q === "reached" || reached) && !chosen(q));
    if (missing) {
      error.textContent = t("answer.need", { question: t(`q.${missing}`) });
      error.hidden = false;
      return error.scrollIntoView({ block: "center" });
    }
    const answerId = earlier?.id ?? crypto.randomUUID(); // made once: a fixed answer keeps it
    const body = { id: answerId, household_id: householdId, reached, note: note.value.trim() || null };
    for (const q of ["knows_secretary", "recalls_visit", "satisfied"]) body[q] = reached ? ({ true: true, false: false }[chosen(q)] ?? chosen(q)) : null;
    const label = t("answer.label", { name: household.head_name });
    const record = { id: answerId, type: "answer", inspection_id: id, username: session().username, label, body };
    if (!(await saveOnPhone({ record, button: save, error, write: amend }))) return;
    toast(t("visit.saved"));
    await app.recorded();
    app.navigate(`#/inspection?id=${id}`);
  }
  return form;
}

/** One sampled household and what it said (or that it has not answered yet). */
function householdAnswer(x) {
  const a = x.answer;
  const words = (q) => (a[q] == null ? null : t(`q.${q}.${a[q]}`)); // 知道 · 不记得 · 满意
  const said = !a ? t("results.notYet") : !a.reached ? t("q.reached.false") : ["knows_secretary", "recalls_visit", "satisfied"].map(words).filter(Boolean).join(" · ");
  return h("li", { class: "record" }, h("div", { class: "row" }, h("strong", {}, x.head_name), place(x)), h("span", {}, said), a?.note && h("p", { class: "notes" }, a.note));
}

export const results = { title: () => t("results.title"), render: renderResults };

async function renderResults({ app, params }) {
  const id = Number(params.get("id"));
  const data = await api(`/inspections/${id}`);
  const rate = ([key, value, part, whole]) => {
    const percent = h("strong", { class: "rate" }, value == null ? "—" : `${Math.round(value * 100)}%`);
    const row = h("div", { class: "row" }, h("strong", {}, t(`results.${key}`)), percent);
    return h("li", { class: "record" }, row, h("span", { class: "muted" }, t(`results.${key}Of`, { part, whole })));
  };
  const publish = h("button", { class: "primary big" }, t("results.publish"));
  publish.onclick = () =>
    confirm(t("results.confirmPublish")) &&
    attempt(publish, async () => {
      await api(`/inspections/${id}/publish`, { method: "POST" });
      app.refresh();
    });
  const rates = [
    ["awareness", data.awareness_rate, data.knows_secretary_count, data.reached],
    ["recall", data.recall_rate, data.recalls_visit_count, data.logged_visits_count],
    ["satisfaction", data.satisfaction_rate, data.satisfied_count, data.reached],
  ];
  const denied = data.discrepancies;
  const answers = (data.households ?? []).map(householdAnswer);
  const deny = (d) => h("li", { class: "record" }, h("strong", {}, d.head_name), h("span", { class: "error-text" }, t("results.logged", { count: d.logged_visits_90d })));
  const facts = { size: data.sample_size, answered: data.answered, reached: data.reached };
  return h(
    "div",
    { class: "stack" },
    h("h2", {}, named(data)),
    h("p", { class: "summary" }, t("results.facts", facts)),
    h("ul", { class: "list" }, rates.map(rate)),
    h("h2", { id: "denied" }, t("results.denied", { count: denied.length })),
    denied.length > 0 && h("ul", { class: "list", "aria-labelledby": "denied" }, denied.map(deny)),
    answers.length > 0 && [h("h2", { id: "answers" }, t("results.answers")), h("ul", { class: "list", "aria-labelledby": "answers" }, answers)],
    data.published_at ? h("p", { class: "summary" }, t("results.publishedAt", { time: formatTime(data.published_at) })) : publish,
  );
}
