// 提示: the flags inbox. Each flag with its evidence (the two photos side by side for a reused
// photo, the distance for a check-in from elsewhere) and acknowledge / dismiss / resolve.

import { api, apiBlob } from "../api.js";
import { t } from "./messages.js";
import { formatTime, h, toast } from "../ui.js";

export const title = () => t("flags.title");

export async function render({ app }) {
  const page = await api("/flags?status=open&status=acknowledged&limit=100");
  if (!page.items.length) return h("p", { class: "empty" }, t("flags.none"));
  return h(
    "div",
    { class: "stack" },
    h("p", { class: "summary" }, t("flags.summary", { count: page.items.length, more: page.next_cursor ? "+" : "" })),
    h("ul", { class: "list", "aria-label": t("flags.title") }, page.items.map((flag) => flagItem(flag, app))),
  );
}

function flagItem(flag, app) {
  const note = h("textarea", { rows: 2, maxlength: 2000, "aria-label": t("flags.note") });
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  async function judge(status) {
    error.hidden = true;
    try {
      await api(`/flags/${flag.id}`, { method: "PATCH", json: { status, note: note.value.trim() || null } });
      toast(t(`flags.done.${status}`));
      app.refresh();
    } catch (e) {
      error.textContent = e.words;
      error.hidden = false;
    }
  }
  return h(
    "li",
    { class: "record stack", dataset: { kind: flag.kind } },
    h("div", { class: "row" }, h("strong", {}, t(`check.${flag.kind}`)), h("span", { class: `badge ${flag.severity === "high" ? "failed" : "pending"}` }, t(`flags.status.${flag.status}`))),
    h("span", { class: "muted" }, [flag.village_name, flag.user_display_name, formatTime(flag.raised_at)].filter(Boolean).join(" · ")),
    h("p", { class: "notes" }, flag.detail),
    evidence(flag),
    note,
    error,
    h(
      "div",
      { class: "buttons" },
      flag.status === "open" && h("button", { class: "secondary", onclick: () => judge("acknowledged") }, t("flags.acknowledge")),
      h("button", { class: "secondary", onclick: () => judge("resolved") }, t("flags.resolve")),
      h("button", { class: "danger", onclick: () => judge("dismissed") }, t("flags.dismiss")),
    ),
  );
}

function evidence(flag) {
  const e = flag.evidence ?? {};
  if (flag.kind === "duplicate_photo" && e.matches?.length) {
    const [match] = e.matches;
    return h("div", { class: "thumbs two" }, photo(match.photo_id, t("flags.thisPhoto")), photo(match.other_photo_id, t("flags.earlierPhoto")));
  }
  if (flag.kind === "off_site" && e.distance_m != null) {
    return h("p", { class: "warn-text" }, t("flags.distance", { km: (e.distance_m / 1000).toFixed(1), radius: e.radius_m ?? "—" }));
  }
  return null;
}

function photo(id, caption) {
  const img = h("img", { alt: caption });
  apiBlob(`/photos/${id}/thumb`)
    .then((blob) => (img.src = URL.createObjectURL(blob)))
    .catch(() => (img.alt = t("flags.photoUnavailable")));
  return h("figure", {}, img, h("figcaption", { class: "muted" }, caption));
}
