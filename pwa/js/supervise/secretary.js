// A secretary page: 12 weeks of visits, a presence calendar (days and nights) and a weekday ×
// hour punch card, where made-up records tend to cluster at odd hours.

import { api } from "../api.js";
import { t } from "./messages.js";
import { h } from "../ui.js";
import { bars, calendar, punchCard, weeklyInWords } from "./charts.js";

export const title = () => t("secretary.title");

export async function render({ params }) {
  const page = await api(`/dashboard/secretaries/${params.get("id")}`);
  const [first] = page.postings;
  return h(
    "div",
    { class: "stack" },
    h("h2", {}, first ? `${first.display_name} · ${first.village_name}` : ""),
    page.postings.map((p) => h("p", { class: "muted" }, t("secretary.facts", { unit: p.dispatch_unit, presence: p.presence_days_30, nights: p.nights_30, coverage: p.coverage_90 == null ? "—" : `${Math.round(p.coverage_90 * 100)}%` }))),
    h("h2", {}, t("village.weekly")),
    bars(page.visits_per_week, t("village.weeklyLabel", { list: weeklyInWords(page.visits_per_week) })),
    h("h2", {}, t("secretary.calendar")),
    calendar(page.presence, 90, new Date(), t("secretary.calendarLabel", { days: page.presence.filter((m) => m.day_present).length, nights: page.presence.filter((m) => m.night).length })),
    h("h2", {}, t("secretary.punch")),
    punchCard(page.punch_card, t("secretary.punchLabel")),
  );
}
