// The visit form: who, what kind, what was said, what villagers asked for, photos, where, and
// optionally the villager's signature. Saving writes to the phone only; the outbox sends it.

import { POOR_ACCURACY_M, watchFix } from "../geo.js";
import { household as findHousehold, search } from "../households.js";
import { t } from "../messages.js";
import { get, transact } from "../db.js";
import { canvasPhoto } from "../photos.js";
import { session } from "../session.js";
import { h, localInputValue, toast, withOffset } from "../ui.js";
import { photoPicker, saveOnPhone, visitLabel } from "./common.js";
import { signaturePad } from "./signature.js";

export const title = () => t("visit.title");

const KINDS = ["home_visit", "group_talk", "meeting", "service", "log"];
export const CATEGORIES = ["employment", "health", "education", "housing", "infrastructure", "welfare", "dispute", "other"];

export async function render({ app, params }) {
  const editing = params.get("edit") ? await get("records", params.get("edit")) : null;
  const body = editing?.body ?? {};
  const state = {
    id: editing?.id ?? crypto.randomUUID(),
    household: findHousehold(Number(params.get("household") ?? body.household_id)) ?? null,
    photos: editing ? await loadPhotos(editing) : [],
    fix: body.lat != null ? { lat: body.lat, lon: body.lon, accuracy_m: body.accuracy_m } : null,
  };
  const error = h("p", { class: "error", role: "alert", hidden: true });

  // Kind: big radio buttons, one tap each.
  const kinds = h(
    "fieldset",
    { class: "choices" },
    h("legend", {}, t("visit.kind")),
    KINDS.map((kind) =>
      h(
        "label",
        { class: "choice" },
        h("input", {
          type: "radio",
          name: "kind",
          value: kind,
          checked: (body.kind ?? "home_visit") === kind,
          onchange: () => updateHouseholdHint(),
        }),
        t(`kind.${kind}`),
      ),
    ),
  );
  const kind = () => kinds.querySelector("input:checked").value;

  // Household: chosen from the 待走访 list, or searched here.
  const chosen = h("p", { class: "chosen", "aria-live": "polite" });
  const hint = h("p", { class: "muted" });
  const results = h("ul", { class: "list compact" });
  const query = h("input", { id: "visit-household", type: "search", autocomplete: "off", oninput: () => lookUp() });
  function lookUp() {
    const found = query.value.trim() ? search(query.value, app.village(), 8) : [];
    results.replaceChildren(
      ...found.map((x) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "row", onclick: () => choose(x) },
            h("strong", {}, x.head_name),
            h("span", { class: "muted" }, [x.group_name, x.address].filter(Boolean).join(" · ")),
          ),
        ),
      ),
    );
  }
  function choose(x) {
    state.household = x;
    query.value = "";
    results.replaceChildren();
    showHousehold();
  }
  function showHousehold() {
    chosen.replaceChildren(
      state.household
        ? h("span", {}, h("strong", {}, state.household.head_name), " ", state.household.group_name ?? "")
        : t("visit.noHousehold"),
    );
    if (state.household) {
      chosen.append(
        h("button", { type: "button", class: "link", onclick: () => choose(null) }, t("visit.clearHousehold")),
      );
    }
  }
  function updateHouseholdHint() {
    hint.textContent = kind() === "home_visit" ? t("visit.householdRequired") : t("visit.householdOptional");
  }
  showHousehold();
  updateHouseholdHint();

  const startedAt = h("input", {
    id: "visit-time",
    type: "datetime-local",
    value: localInputValue(body.started_at ? new Date(body.started_at) : new Date()),
    max: localInputValue(new Date(Date.now() + 60_000)),
    required: true,
  });
  const notes = h("textarea", { id: "visit-notes", rows: 4, maxlength: 10000 }, body.notes ?? "");

  // Villagers' requests (群众诉求): any number, each with a category.
  const requestList = h("div", { class: "stack" });
  function addRequest(request = {}) {
    const id = request.id ?? crypto.randomUUID();
    const select = h(
      "select",
      { "aria-label": t("visit.requestCategory") },
      CATEGORIES.map((c) => h("option", { value: t(`category.${c}`), selected: request.category === t(`category.${c}`) }, t(`category.${c}`))),
    );
    const text = h("textarea", { rows: 2, maxlength: 2000, "aria-label": t("visit.requestText") }, request.text ?? "");
    const item = h(
      "div",
      { class: "request card", dataset: { id } },
      select,
      text,
      h("button", { type: "button", class: "link", onclick: () => item.remove() }, t("visit.removeRequest")),
    );
    requestList.append(item);
    text.focus();
  }
  (body.requests ?? []).forEach(addRequest);

  // GPS: shown with its accuracy, a warning when poor.
  const gps = h("p", { class: "gps", role: "status" });
  const stop = watchFix(({ fix, error: problem }) => {
    if (fix) state.fix = fix;
    showGps(problem);
  });
  function showGps(problem) {
    const fix = state.fix;
    gps.className = "gps";
    if (fix && fix.accuracy_m > POOR_ACCURACY_M) {
      gps.classList.add("warn");
      gps.textContent = t("gps.poor", { m: fix.accuracy_m });
    } else if (fix) {
      gps.classList.add("ok");
      gps.textContent = t("gps.ok", { m: fix.accuracy_m });
    } else {
      gps.classList.add(problem ? "warn" : "wait");
      gps.textContent = t(problem ? `gps.${problem}` : "gps.waiting");
    }
  }
  showGps(null);

  const signature = signaturePad();

  const save = h("button", { type: "submit", class: "primary big" }, t("visit.save"));
  const form = h(
    "form",
    { class: "stack", onsubmit: submit, novalidate: true },
    kinds,
    h(
      "div",
      { class: "field" },
      h("label", { for: "visit-household" }, t("visit.household")),
      chosen,
      hint,
      query,
      results,
    ),
    h("div", { class: "field" }, h("label", { for: "visit-time" }, t("visit.time")), startedAt),
    h("div", { class: "field" }, h("label", { for: "visit-notes" }, t("visit.notes")), notes),
    h(
      "fieldset",
      { class: "stack" },
      h("legend", {}, t("visit.requests")),
      requestList,
      h("button", { type: "button", class: "secondary", onclick: () => addRequest() }, t("visit.addRequest")),
    ),
    photoPicker(state.photos),
    h("fieldset", {}, h("legend", {}, t("visit.location")), gps),
    signature.node,
    error,
    save,
  );

  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    const when = new Date(startedAt.value);
    const problem =
      kind() === "home_visit" && !state.household
        ? t("visit.needHousehold")
        : Number.isNaN(when.getTime())
          ? t("visit.needTime")
          : when.getTime() > Date.now() + 60_000
            ? t("visit.futureTime")
            : null;
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      error.scrollIntoView({ block: "center" });
      return;
    }
    const photos = [...state.photos];
    const signed = signature.drawn() ? await canvasPhoto(signature.canvas) : null;
    if (signed) photos.push(signed);
    const requests = [...requestList.querySelectorAll(".request")]
      .map((item) => ({
        id: item.dataset.id,
        category: item.querySelector("select").value,
        text: item.querySelector("textarea").value.trim(),
      }))
      .filter((r) => r.text);
    const household = state.household;
    const record = {
      id: state.id,
      type: "visit",
      username: session().username,
      label: visitLabel(kind(), household),
      body: {
        id: state.id,
        kind: kind(),
        household_id: household?.id ?? null,
        village_code: household?.village_code ?? app.village(),
        started_at: withOffset(when),
        lat: state.fix?.lat ?? null,
        lon: state.fix?.lon ?? null,
        accuracy_m: state.fix?.accuracy_m ?? null,
        notes: notes.value.trim() || null,
        requests,
        photo_ids: state.photos.map((p) => p.id),
        signature_photo_id: signed?.id ?? null,
      },
    };
    if (!(await saveOnPhone({ record, photos, button: save, error }))) return;
    stop();
    toast(t("visit.saved"));
    await app.recorded();
    app.navigate("#/todo");
  }

  return { node: form, cleanup: stop };
}

async function loadPhotos(record) {
  const ids = record.body.photo_ids ?? [];
  const rows = await transact("photos", "readonly", (s) => ids.map((id) => s.photos.get(id)));
  return rows.filter(Boolean);
}
