// 村和派驻: every village in scope with its current first secretary, dispatch unit and work team,
// and the weak-lax villages left without a secretary or without a team member marked — the
// speech this work comes from names towns that leave a secretary alone as a failure.

import { apiAll } from "../api.js";
import { t } from "../messages.js";
import { h } from "../ui.js";
import "./messages.js";
import { field, loadPlaces, placeOptions, today } from "./scope.js";

export const title = () => t("places.title");

export async function render({ app, params }) {
  const [places, postings, people] = await Promise.all([loadPlaces(), apiAll(`/assignments?active_on=${today()}`), apiAll("/users?role=secretary")]);
  const names = new Map(people.map((p) => [p.id, p.display_name]));
  const rows = places.villages.map((village) => staffing(village, postings, names, places));
  const town = params.get("town") ?? "";
  const show = params.get("show") ?? "all";
  const shown = rows.filter((r) => (!town || r.town?.code === town) && (show === "all" || (show === "weak" ? r.village.weak_lax : r.gaps.length)));
  const weak = rows.filter((r) => r.village.weak_lax);
  return h(
    "div",
    { class: "stack" },
    h("a", { href: "#/admin" }, t("admin.back")),
    h("p", { class: "muted" }, t("places.lead")),
    h(
      "p",
      { class: "warn-text", role: "status" },
      t("places.gaps", { noSecretary: weak.filter((r) => !r.secretary).length, noTeam: weak.filter((r) => !r.team.length).length }),
    ),
    filters(app, places, town, show),
    shown.length ? table(shown) : h("p", { class: "empty" }, t("admin.none")),
  );
}

function staffing(village, postings, names, places) {
  const here = postings.filter((a) => a.village_code === village.code);
  const secretary = here.find((a) => a.position === "first_secretary") ?? null;
  const team = here.filter((a) => a.position === "team_member");
  const gaps = village.weak_lax ? [!secretary && t("places.noSecretary"), !team.length && t("places.noTeam")].filter(Boolean) : [];
  return { village, town: places.townOf(village.code), secretary, secretaryName: secretary ? names.get(secretary.user_id) : null, team, gaps };
}

function filters(app, places, town, show) {
  const [townSelect, townField] = field("places-town", t("places.town"), h("select", {}, h("option", { value: "" }, t("places.anyTown")), placeOptions(places.towns, places, town)));
  const [showSelect, showField] = field(
    "places-show",
    t("places.show"),
    h("select", {}, [["all", "places.showAll"], ["weak", "places.showWeak"], ["gaps", "places.showGaps"]].map(([value, key]) => h("option", { value, selected: value === show }, t(key)))),
  );
  const apply = () => app.navigate(`#/places?${new URLSearchParams({ town: townSelect.value, show: showSelect.value })}`);
  townSelect.addEventListener("change", apply);
  showSelect.addEventListener("change", apply);
  return h("div", { class: "filters card" }, townField, showField);
}

function table(rows) {
  const columns = ["places.col.village", "places.col.town", "places.col.weak", "places.col.secretary", "places.col.unit", "places.col.team", "places.col.rectification"];
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "grid" },
      h("thead", {}, h("tr", {}, columns.map((k) => h("th", { scope: "col", class: k === "places.col.team" ? "num" : null }, t(k))))),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            { dataset: { village: r.village.code } },
            h("td", {}, h("a", { href: `#/place?code=${r.village.code}` }, r.village.name)),
            h("td", {}, r.town?.name ?? ""),
            h("td", {}, r.village.weak_lax ? t("places.yes") : ""),
            h("td", {}, r.secretaryName ?? "", r.gaps.map((gap) => h("span", { class: "badge failed" }, gap))),
            h("td", {}, r.secretary?.dispatch_unit ?? ""),
            h("td", { class: "num" }, String(r.team.length)),
            h("td", {}, t(`rectification.${r.village.rectification_status}`)),
          ),
        ),
      ),
    ),
  );
}
