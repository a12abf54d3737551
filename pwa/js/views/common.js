// Pieces several screens share.

import { t } from "../messages.js";
import { enqueue } from "../outbox.js";
import { preparePhoto } from "../photos.js";
import { h, since } from "../ui.js";

/** One household as a tappable row that opens the visit form for it. */
export function householdRow(household) {
  const place = [household.group_name, household.address].filter(Boolean).join(" · ");
  const overdue = household.last_visit_ms == null || Date.now() - household.last_visit_ms > 90 * 86_400_000;
  return h(
    "li",
    {},
    h(
      "a",
      { class: "row", href: `#/visit?household=${household.id}` },
      h(
        "span",
        { class: "row-main" },
        h("strong", {}, household.head_name),
        place && h("span", { class: "muted" }, place),
        household.tags.length > 0 && h("span", { class: "tags" }, household.tags.join("、")),
      ),
      h(
        "span",
        { class: `row-side${overdue ? " overdue" : ""}` },
        since(household.last_visit_ms),
        h("span", { class: "muted" }, t("household.count", { count: household.visit_count })),
      ),
    ),
  );
}

/** A village picker when the secretary is posted to more than one village. */
export function villagePicker(app) {
  const villages = app.villages();
  if (villages.length < 2) return null;
  const select = h(
    "select",
    { id: "village", onchange: () => app.setVillage(select.value) },
    villages.map((v) => h("option", { value: v.village_code, selected: v.village_code === app.village() }, v.village_name)),
  );
  return h("div", { class: "field" }, h("label", { for: "village" }, t("village.pick")), select);
}

/** What records are called in the lists: "入户走访 · 张富贵", "驻村签到 · 高坡村". */
export const visitLabel = (kind, household) => [t(`kind.${kind}`), household?.head_name].filter(Boolean).join(" · ");
export const checkinLabel = (village) => t("checkin.label", { village: village?.village_name ?? "" });

/** The state of one queued record in words and colour. */
export function stateBadge(record) {
  const key = record.state === "sent" ? "sent" : record.state === "failed" ? "failed" : "pending";
  return h("span", { class: `badge ${key}` }, t(`state.${key}`));
}

/**
 * Save a record on the phone from a form. On failure (a full phone, most often) the form stays
 * as it was, with the reason shown in `error`; resolves to whether the record was saved.
 */
export async function saveOnPhone({ record, photos = [], button, error, write = enqueue }) {
  button.disabled = true;
  error.hidden = true;
  try {
    await write(record, photos);
    return true;
  } catch (e) {
    button.disabled = false;
    error.textContent =
      e?.name === "QuotaExceededError" ? t("error.quota") : t("error.saveFailed", { reason: e?.message ?? e });
    error.hidden = false;
    error.scrollIntoView({ block: "center" });
    return false;
  }
}

/** Camera or gallery photos, shrunk, into the form's `photos`. */
export function photoPicker(photos) {
  const thumbs = h("div", { class: "thumbs" });
  const status = h("p", { class: "muted", role: "status" });
  const input = (how) => h("input", { type: "file", accept: "image/*", hidden: true, onchange: pick, ...how });
  const camera = input({ capture: "environment" });
  const gallery = input({ multiple: true });
  async function pick(event) {
    const files = [...event.target.files];
    event.target.value = "";
    status.textContent = t("visit.photosWorking");
    for (const file of files) photos.push(await preparePhoto(file));
    status.textContent = "";
    show();
  }
  function show() {
    thumbs.replaceChildren(
      ...photos.map((photo, i) =>
        h(
          "figure",
          {},
          h("img", { src: URL.createObjectURL(photo.blob), alt: t("visit.photoAlt", { n: i + 1 }) }),
          h("button", { type: "button", class: "link", onclick: () => (photos.splice(i, 1), show()) }, t("visit.removePhoto")),
        ),
      ),
    );
  }
  show();
  return h(
    "fieldset",
    { class: "stack" },
    h("legend", {}, t("visit.photos")),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "button", class: "secondary", onclick: () => camera.click() }, t("visit.camera")),
      h("button", { type: "button", class: "secondary", onclick: () => gallery.click() }, t("visit.gallery")),
    ),
    camera,
    gallery,
    status,
    thumbs,
  );
}
