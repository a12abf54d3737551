// 提示: the flags inbox, at a county's scale. Chips by kind with their counts, filters for status,
// place and dates — all kept in the address, so a link opens a filtered inbox — and pages read
// with 加载更多. Each flag shows its evidence (the two photos side by side for a reused photo, the
// distance for a check-in from elsewhere), links to its village and secretary, its trail (who
// did what, when, with which note), and is handled on its own or acknowledged with others.

import { api, apiBlob } from "../api.js";
import { t } from "./messages.js";
import { formatTime, h, toast, withOffset } from "../ui.js";
import { field, loadPlaces, placeOptions, today } from "../admin/scope.js";

export const title = () => t("flags.title");

const PAGE_SIZE = 50;
// The status filter's choices; none chosen means the flags still waiting: open and acknowledged.
const STATUSES = ["open", "acknowledged", "dismissed", "resolved", "all"];
const STILL_WAITING = ["open", "acknowledged"];

export async function render({ app, params }) {
  const chosen = {
    kinds: params.getAll("kind"),
    status: params.get("status") ?? "",
    scope: params.get("scope") ?? "",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
  };
  const places = await loadPlaces();
  const inbox = new Inbox(chosen);
  await Promise.all([inbox.recount(), inbox.nextPage()]);
  return h("div", { class: "stack flags-inbox" }, inbox.chips, filterForm(app, chosen, places), inbox.summary, inbox.bulkBar, inbox.list, inbox.more);
}

/** The address of the inbox with these filters. */
function inboxHash({ kinds, status, scope, from, to }) {
  const query = new URLSearchParams();
  for (const kind of kinds) query.append("kind", kind);
  for (const [key, value] of Object.entries({ status, scope, from, to })) if (value) query.set(key, value);
  return `#/flags?${query}`;
}

/** The API's filters (all but the kind): `to` is a whole day, so flags are read until the next midnight. */
function apiFilters({ status, scope, from, to }) {
  const query = new URLSearchParams();
  for (const s of status ? [status] : STILL_WAITING) query.append("status", s);
  if (scope) query.set("scope", scope);
  if (from) query.set("since", dayStart(from, 0));
  if (to) query.set("until", dayStart(to, 1));
  return query;
}

/** The local midnight `days` after the date YYYY-MM-DD, with its offset. */
function dayStart(value, days) {
  const [year, month, date] = value.split("-").map(Number);
  return withOffset(new Date(year, month - 1, date + days));
}

/** The list as read so far, the kind chips and counts above it, and the selection for 批量确认. */
class Inbox {
  constructor(chosen) {
    this.chosen = chosen;
    this.filters = apiFilters(chosen);
    this.cursor = null;
    this.shown = 0;
    this.total = 0;
    this.selected = new Set();
    this.chips = h("nav", { class: "kind-chips", "aria-label": t("flags.byKind") });
    this.summary = h("p", { class: "summary", role: "status" });
    this.list = h("ul", { class: "list flag-list", "aria-label": t("flags.title") });
    this.more = h("button", { class: "secondary", hidden: true, onclick: () => this.nextPage() }, t("flags.more"));
    this.bulkButton = h("button", { class: "primary", disabled: true, onclick: () => this.acknowledgeSelected() }, t("flags.bulk", { count: 0 }));
    this.selectPage = h("input", { type: "checkbox", id: "flags-select-page", onchange: () => this.selectAll(this.selectPage.checked) });
    this.bulkError = h("p", { class: "error-text", role: "alert", hidden: true });
    this.bulkBar = h(
      "div",
      { class: "bulk-bar" },
      h("label", { class: "choice", for: "flags-select-page" }, this.selectPage, t("flags.selectPage")),
      this.bulkButton,
      this.bulkError,
    );
  }

  /** The chips and the summary, from one count by kind with the same filters. */
  async recount() {
    const counts = await api(`/flags/counts?${this.filters}`);
    const kinds = this.chosen.kinds;
    this.total = kinds.length ? kinds.reduce((sum, kind) => sum + (counts[kind] ?? 0), 0) : Object.values(counts).reduce((a, b) => a + b, 0);
    const chip = (label, count, wanted) => {
      const current = wanted.length === kinds.length && wanted.every((k) => kinds.includes(k));
      return h("a", { class: "kind-chip", href: inboxHash({ ...this.chosen, kinds: wanted }), "aria-current": current ? "true" : null }, label, h("span", { class: "n" }, String(count)));
    };
    const listed = Object.keys(counts).filter((kind) => counts[kind] > 0 || kinds.includes(kind));
    const all = Object.values(counts).reduce((a, b) => a + b, 0);
    this.chips.replaceChildren(chip(t("flags.allKinds"), all, []), ...listed.map((kind) => chip(t(`check.${kind}`), counts[kind], [kind])));
    this.describe();
  }

  describe() {
    const { kinds, status, scope, from, to } = this.chosen;
    const filtered = kinds.length || status || scope || from || to;
    const none = t(filtered ? "flags.noneFiltered" : "flags.none");
    this.summary.textContent = this.total || this.shown ? t("flags.found", { count: this.total, shown: this.shown }) : none;
    this.list.hidden = !this.shown;
    this.bulkBar.hidden = !this.list.querySelector("input[type=checkbox]");
  }

  /** Whether a flag still belongs in the list after it was handled (resolving one leaves the inbox). */
  keeps(flag) {
    const status = this.chosen.status;
    return status === "all" || (status ? status === flag.status : STILL_WAITING.includes(flag.status));
  }

  async nextPage() {
    const query = new URLSearchParams(this.filters);
    for (const kind of this.chosen.kinds) query.append("kind", kind);
    query.set("limit", String(PAGE_SIZE));
    if (this.cursor) query.set("cursor", this.cursor);
    const page = await api(`/flags?${query}`);
    this.list.append(...page.items.map((flag) => this.item(flag)));
    this.shown += page.items.length;
    this.cursor = page.next_cursor;
    this.more.hidden = !this.cursor;
    this.describe();
  }

  /** A flag's card; a handled flag's card is drawn again from the server's answer. */
  item(flag) {
    const card = flagCard(flag, {
      selected: this.selected.has(flag.id),
      onSelect: (on) => this.select(flag.id, on),
      onHandled: (updated) => (this.replace(card, updated), this.recount()),
    });
    return card;
  }

  /** Draw a handled flag again, or take it out when it no longer matches the status filter. */
  replace(card, flag) {
    this.selected.delete(flag.id);
    if (this.keeps(flag)) card.replaceWith(this.item(flag));
    else {
      card.remove();
      this.shown -= 1;
    }
    this.updateBulk();
  }

  select(id, on) {
    if (on) this.selected.add(id);
    else this.selected.delete(id);
    this.updateBulk();
  }

  selectAll(on) {
    for (const box of this.list.querySelectorAll("input[type=checkbox]")) {
      box.checked = on;
      this.select(Number(box.value), on);
    }
  }

  updateBulk() {
    this.bulkButton.textContent = t("flags.bulk", { count: this.selected.size });
    this.bulkButton.disabled = !this.selected.size;
  }

  async acknowledgeSelected() {
    this.bulkError.hidden = true;
    try {
      const done = await api("/flags/acknowledge", { method: "POST", json: { ids: [...this.selected] } });
      for (const flag of [...done.acknowledged, ...done.unchanged]) {
        const card = this.list.querySelector(`li[data-id="${flag.id}"]`);
        if (card) this.replace(card, flag);
      }
      this.selectPage.checked = false;
      await this.recount();
      const unchanged = done.unchanged.length ? t("flags.bulkUnchanged", { count: done.unchanged.length }) : "";
      toast(t("flags.bulkDone", { count: done.acknowledged.length }) + unchanged);
    } catch (e) {
      this.bulkError.textContent = e.words;
      this.bulkError.hidden = false;
    }
  }
}

function filterForm(app, chosen, places) {
  const [status, statusField] = field(
    "flags-status",
    t("flags.statusLabel"),
    h("select", {}, h("option", { value: "" }, t("flags.status.active")), STATUSES.map((s) => h("option", { value: s, selected: s === chosen.status }, t(`flags.status.${s}`)))),
  );
  const [scope, scopeField] = field(
    "flags-place",
    t("flags.place"),
    h("select", {}, h("option", { value: "" }, t("flags.allPlaces")), placeOptions([...places.towns, ...places.villages], places, chosen.scope)),
  );
  const [from, fromField] = field("flags-from", t("flags.from"), h("input", { type: "date", value: chosen.from, max: today() }));
  const [to, toField] = field("flags-to", t("flags.to"), h("input", { type: "date", value: chosen.to, max: today() }));
  function apply(event) {
    event.preventDefault();
    app.navigate(inboxHash({ kinds: chosen.kinds, status: status.value, scope: scope.value, from: from.value, to: to.value }));
  }
  // Folded on a phone, so that the first flags show on the first screen; open once used.
  const used = chosen.status || chosen.scope || chosen.from || chosen.to;
  return h(
    "details",
    { class: "filter-box", open: Boolean(used) || matchMedia("(min-width: 60rem)").matches },
    h("summary", {}, t("flags.filters")),
    h("form", { class: "filters card", onsubmit: apply, role: "search", "aria-label": t("flags.filters") }, statusField, scopeField, fromField, toField, h("button", { type: "submit" }, t("flags.find"))),
  );
}

function flagCard(flag, { selected, onSelect, onHandled }) {
  const note = h("textarea", { rows: 2, maxlength: 2000, "aria-label": t("flags.note"), placeholder: t("flags.note") });
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  const waiting = STILL_WAITING.includes(flag.status);
  async function judge(status) {
    error.hidden = true;
    try {
      const updated = await api(`/flags/${flag.id}`, { method: "PATCH", json: { status, note: note.value.trim() || null } });
      toast(t(`flags.done.${status}`));
      onHandled(updated);
    } catch (e) {
      error.textContent = e.words;
      error.hidden = false;
    }
  }
  const kind = t(`check.${flag.kind}`);
  const box = flag.status === "open" && h("input", { type: "checkbox", class: "pick", value: String(flag.id), checked: selected, "aria-label": `${t("flags.select")}：${kind} · ${flag.village_name ?? flag.village_code}`, onchange: (e) => onSelect(e.target.checked) });
  return h(
    "li",
    { class: "record stack flag", dataset: { kind: flag.kind, id: String(flag.id) } },
    h("div", { class: "flag-head" }, box, h("strong", {}, kind), h("span", { class: `badge ${badge(flag)}` }, t(`flags.status.${flag.status}`))),
    h(
      "p",
      { class: "muted flag-where" },
      h("a", { href: `#/village?code=${flag.village_code}`, title: t("flags.village") }, flag.village_name ?? flag.village_code),
      flag.user_id != null && [" · ", h("a", { href: `#/secretary?id=${flag.user_id}`, title: t("flags.secretary") }, flag.user_display_name ?? `#${flag.user_id}`)],
      ` · ${formatTime(flag.raised_at)}`,
    ),
    h("p", { class: "notes" }, flag.detail),
    evidence(flag),
    trail(flag.history),
    waiting && note,
    error,
    waiting &&
      h(
        "div",
        { class: "buttons" },
        flag.status === "open" && h("button", { class: "secondary", onclick: () => judge("acknowledged") }, t("flags.acknowledge")),
        h("button", { class: "secondary", onclick: () => judge("resolved") }, t("flags.resolve")),
        h("button", { class: "danger", onclick: () => judge("dismissed") }, t("flags.dismiss")),
      ),
  );
}

function badge(flag) {
  if (!STILL_WAITING.includes(flag.status)) return "sent";
  return flag.severity === "high" ? "failed" : "pending";
}

/** Who raised the flag and who moved it since, oldest first, folded away until asked for. */
function trail(history) {
  if (!history?.length) return null;
  const status = (s) => t(`flags.status.${s}`);
  return h(
    "details",
    { class: "trail" },
    h("summary", {}, t("flags.history", { count: history.length })),
    h(
      "ol",
      {},
      history.map((e) =>
        h(
          "li",
          {},
          h("span", { class: "muted" }, formatTime(e.at)),
          " ",
          h("strong", {}, e.user_display_name ?? t("flags.system")),
          " ",
          e.from_status ? t("flags.moved", { from: status(e.from_status), to: status(e.to_status) }) : t("flags.raised"),
          e.note && h("span", { class: "trail-note" }, `：${e.note}`),
        ),
      ),
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
