// 管理: the county office's starting point, one card per kind of work.

import { session } from "../session.js";
import { t } from "../messages.js";
import { h } from "../ui.js";
import "./messages.js";

export const title = () => t("admin.title");

const SECTIONS = [
  { route: "people", key: "admin.people" },
  { route: "places", key: "admin.places" },
  { route: "ledger", key: "admin.ledger" },
  { route: "tokens", key: "admin.tokens" },
  { route: "audit", key: "admin.audit", only: "admin" },
];

export function render() {
  const role = session().me.role;
  return h(
    "div",
    { class: "stack" },
    h("p", { class: "lead" }, t("admin.lead")),
    h(
      "nav",
      { class: "hub", "aria-label": t("admin.title") },
      SECTIONS.filter((s) => !s.only || s.only === role).map((s) =>
        h("a", { class: "card", href: `#/${s.route}` }, h("strong", {}, t(s.key)), h("span", { class: "muted" }, t(`${s.key}.hint`))),
      ),
    ),
  );
}
