// What the administration screens share: the places in the account's scope (for names and
// pickers), the roles it may hand out, and a form field or two.

import { apiAll } from "../api.js";
import { t } from "../messages.js";
import { session } from "../session.js";
import { h, toast } from "../ui.js";

/** The roles the server lets this account hand out (nobody grants more than they hold). */
export function creatableRoles() {
  return session().me.grantable_roles ?? [];
}

/** Every region in scope, keyed by code, with the towns and villages as sorted lists. */
export async function loadPlaces() {
  const regions = await apiAll("/regions");
  const byCode = new Map(regions.map((r) => [r.code, r]));
  const byName = (a, b) => a.name.localeCompare(b.name, "zh-CN");
  return {
    byCode,
    name: (code) => (code ? (byCode.get(code)?.name ?? code) : "全部"),
    towns: regions.filter((r) => r.level === "town").sort(byName),
    villages: regions.filter((r) => r.level === "village").sort(byName),
    counties: regions.filter((r) => r.level === "county"),
    townOf: (code) => byCode.get(byCode.get(code)?.parent_code ?? "") ?? null,
  };
}

/** The scopes a role may be given: a village for a secretary, a town for a town, and so on. */
export function scopesFor(role, places) {
  if (role === "admin") return [];
  if (role === "secretary") return places.villages;
  if (role === "town") return places.towns;
  if (role === "county") return places.counties;
  return [...places.counties, ...places.towns];
}

/** <option>s of places, villages labelled with their town so two 新村 can be told apart. */
export function placeOptions(list, places, selected) {
  return list.map((r) => {
    const town = r.level === "village" ? places.townOf(r.code)?.name : null;
    return h("option", { value: r.code, selected: r.code === selected }, town ? `${town} · ${r.name}` : r.name);
  });
}

/**
 * A role picker limited to the roles this account may hand out, and a scope picker offering
 * the places that fit the chosen role: [role, roleField, scope, scopeField].
 */
export function roleAndScope(prefix, places, { role: current = "secretary", scope: currentScope = null, disabled = false } = {}) {
  const roles = creatableRoles();
  const [role, roleField] = field(`${prefix}-role`, t("people.role"), h("select", { required: true, disabled: disabled || !roles.includes(current) }, roles.map((r) => h("option", { value: r, selected: r === current }, t(`role.${r}`)))));
  const [scope, scopeField] = field(`${prefix}-scope`, t("people.scope"), h("select", { disabled }));
  const fill = () => {
    scope.replaceChildren(...placeOptions(scopesFor(role.value, places), places, currentScope));
    scopeField.hidden = role.value === "admin";
  };
  role.addEventListener("change", fill);
  fill();
  return [role, roleField, scope, scopeField];
}

/** Send a change; then a toast saying `done` and a redraw, or the server's words in `error`. */
export async function attempt(app, error, request, done = "admin.saved") {
  error.show("");
  try {
    await request();
    toast(t(done));
    app.refresh();
  } catch (e) {
    error.show(e.words);
  }
}

/** A labelled field: [the control, the wrapper to put in the form]. */
export function field(id, label, control) {
  control.id = id;
  return [control, h("div", { class: "field" }, h("label", { for: id }, label), control)];
}

/** An error paragraph, hidden until `show(text)`. */
export function errorLine() {
  const line = h("p", { class: "error", role: "alert", hidden: true });
  line.show = (text) => {
    line.textContent = text;
    line.hidden = !text;
    if (text) line.scrollIntoView({ block: "center" });
  };
  return line;
}

/** Today's date in the browser's time zone, YYYY-MM-DD. */
export function today() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
}
