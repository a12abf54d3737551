// 村民: find a household by name, number, group, address or tag; works offline.

import { search } from "../households.js";
import { t } from "../messages.js";
import { h } from "../ui.js";
import { householdRow, villagePicker } from "./common.js";

export const title = () => t("households.title");

const SHOWN = 100;

export function render({ app }) {
  const input = h("input", {
    id: "search",
    type: "search",
    placeholder: t("households.placeholder"),
    autocomplete: "off",
    oninput: () => update(),
  });
  const count = h("p", { class: "summary", role: "status" });
  const list = h("ul", { class: "list", "aria-label": t("households.results") });
  function update() {
    const found = search(input.value, app.village(), Infinity);
    list.replaceChildren(...found.slice(0, SHOWN).map(householdRow));
    count.textContent = input.value.trim()
      ? t("households.found", { count: found.length })
      : t("households.all", { count: found.length });
  }
  update();
  return h(
    "div",
    { class: "stack" },
    villagePicker(app),
    h("label", { for: "search" }, t("households.label")),
    input,
    count,
    list,
  );
}
