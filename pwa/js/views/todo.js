// 待走访: the households of my village, never visited first, then the longest since a visit.

import { toVisit } from "../households.js";
import { t } from "../messages.js";
import { h } from "../ui.js";
import { householdRow, villagePicker } from "./common.js";

export const title = () => t("todo.title");

const PAGE = 60;

export function render({ app }) {
  const all = toVisit(app.village());
  if (!all.length) return h("div", { class: "stack" }, villagePicker(app), h("p", { class: "empty" }, t("todo.none")));
  const overdue = all.filter((x) => x.last_visit_ms == null || Date.now() - x.last_visit_ms > 90 * 86_400_000).length;
  const list = h("ul", { class: "list", "aria-label": t("todo.title") });
  const more = h("button", { class: "secondary", onclick: () => show(list.children.length + PAGE) }, t("todo.more"));
  function show(count) {
    list.replaceChildren(...all.slice(0, count).map(householdRow));
    more.hidden = count >= all.length;
  }
  show(PAGE);
  return h(
    "div",
    { class: "stack" },
    villagePicker(app),
    h("p", { class: "summary" }, t("todo.summary", { total: all.length, overdue })),
    list,
    more,
    h("a", { class: "fab", href: "#/visit" }, t("todo.newVisit")),
  );
}
