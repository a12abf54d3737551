// API 令牌: read-only tokens for inspection teams' scripts. Issue one (name, scope, expiry), see
// it once with a request to try it by, and list or revoke those in scope.

import { api, apiAll } from "../api.js";
import { t } from "../messages.js";
import { session } from "../session.js";
import { h, localInputValue, toast, withOffset } from "../ui.js";
import "./messages.js";
import { scopeLabel } from "./people.js";
import { errorLine, field, loadPlaces, placeOptions } from "./scope.js";

export const title = () => t("tokens.title");

const DEFAULT_DAYS = 90;
// A read an inspection script makes first: every village's visits and presence, in the token's scope.
const EXAMPLE_PATH = "/api/v1/dashboard/villages?days=90";

export async function render() {
  const places = await loadPlaces();
  const list = h("div", { class: "stack" });
  const shown = h("div", {});
  const reload = () => showTokens(list, places, reload);
  await reload();
  return h(
    "div",
    { class: "stack" },
    h("a", { href: "#/admin" }, t("admin.back")),
    h("p", { class: "lead" }, t("tokens.lead")),
    issueForm(places, shown, reload),
    shown,
    h("section", { class: "stack", "aria-labelledby": "tokens-list" }, h("h2", { id: "tokens-list" }, t("tokens.list")), list),
  );
}

/** 签发: a name, a scope no wider than the account's own, and the last day it works. */
function issueForm(places, shown, reload) {
  const [name, nameField] = field("token-name", t("tokens.name"), h("input", { required: true, maxlength: 100, placeholder: t("tokens.namePlaceholder"), autocomplete: "off" }));
  const [scope, scopeField] = field("token-scope", t("tokens.scope"), h("select", { required: true }, scopeGroups(places)));
  const [expires, expiresField] = field("token-expires", t("tokens.expires"), h("input", { type: "date", required: true, min: dayAfter(0), value: dayAfter(DEFAULT_DAYS) }));
  const error = errorLine();
  const button = h("button", { type: "submit", class: "primary" }, t("tokens.submit"));

  async function submit(event) {
    event.preventDefault();
    error.show("");
    button.disabled = true;
    try {
      const created = await api("/api-tokens", {
        method: "POST",
        json: { name: name.value.trim(), scope_code: scope.value, expires_at: endOfDay(expires.value) },
      });
      const section = issued(created);
      shown.replaceChildren(section);
      section.scrollIntoView({ block: "start" });
      name.value = "";
      await reload();
    } catch (e) {
      error.show(e.words);
    } finally {
      button.disabled = false;
    }
  }

  return h(
    "form",
    { class: "card stack", onsubmit: submit, "aria-labelledby": "tokens-issue" },
    h("h2", { id: "tokens-issue" }, t("tokens.issue")),
    h("div", { class: "form-grid" }, nameField, scopeField, expiresField),
    error,
    button,
  );
}

/** The account's own scope first, then its towns, then its villages. */
function scopeGroups(places) {
  return [
    ["tokens.scope.counties", places.counties],
    ["tokens.scope.towns", places.towns],
    ["tokens.scope.villages", places.villages],
  ]
    .filter(([, list]) => list.length)
    .map(([key, list]) => h("optgroup", { label: t(key) }, placeOptions(list, places, session().me.scope_code)));
}

/** The token, this once, and the same token in requests a script can start from. */
function issued(created) {
  const secret = h("p", { class: "secret" }, created.token);
  const url = `${location.origin}${EXAMPLE_PATH}`;
  const curl = h("pre", { class: "example" }, `curl -H "Authorization: Bearer ${created.token}" "${url}"`);
  const python = h(
    "pre",
    { class: "example" },
    [
      "import json, urllib.request",
      `request = urllib.request.Request("${url}",`,
      `                                 headers={"Authorization": "Bearer ${created.token}"})`,
      "with urllib.request.urlopen(request) as response:",
      '    print(json.load(response)["items"])',
    ].join("\n"),
  );
  return h(
    "section",
    { class: "card stack issued", "aria-labelledby": "token-issued" },
    h("h2", { id: "token-issued" }, t("tokens.issued", { name: created.name })),
    h("p", { class: "warn-text", role: "alert" }, t("tokens.onlyOnce")),
    secret,
    h("div", { class: "buttons" }, copyButton(secret, t("tokens.copy"))),
    h("h3", {}, t("tokens.example")),
    h("p", { class: "muted" }, t("tokens.exampleHint"), " ", h("a", { href: "/api/docs", target: "_blank", rel: "noopener" }, t("tokens.docs"))),
    h("p", {}, t("tokens.curl")),
    curl,
    h("p", {}, t("tokens.python")),
    python,
    h("div", { class: "buttons" }, copyButton(curl, t("tokens.copyCurl")), copyButton(python, t("tokens.copyPython"))),
  );
}

/** Copies the node's text; where the clipboard is out of reach (plain HTTP), selects it instead. */
function copyButton(node, label) {
  async function copy() {
    try {
      await navigator.clipboard.writeText(node.textContent);
      toast(t("tokens.copied"));
    } catch {
      getSelection().selectAllChildren(node);
      toast(t("tokens.selected"));
    }
  }
  return h("button", { type: "button", class: "secondary", onclick: copy }, label);
}

/** Every token in scope, newest first: the one just issued is at the top. */
async function showTokens(container, places, reload) {
  const tokens = (await apiAll("/api-tokens")).reverse();
  container.replaceChildren(tokens.length ? tokenTable(tokens, places, reload) : h("p", { class: "empty" }, t("tokens.none")));
}

function tokenTable(tokens, places, reload) {
  const columns = ["name", "scope", "by", "created", "expires", "state", "actions"];
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "grid tokens", "aria-label": t("tokens.list") },
      h("thead", {}, h("tr", {}, columns.map((key) => h("th", { scope: "col" }, t(`tokens.col.${key}`))))),
      h(
        "tbody",
        {},
        tokens.map((token) => {
          const state = stateOf(token);
          return h(
            "tr",
            {},
            h("td", {}, token.name),
            h("td", {}, scopeLabel(token.scope_code, places)),
            h("td", {}, token.created_by_name),
            h("td", { class: "when" }, day(token.created_at)),
            h("td", { class: "when" }, token.expires_at ? day(token.expires_at) : t("tokens.never")),
            h("td", {}, h("span", { class: `badge ${STATE_BADGES[state]}` }, t(`tokens.state.${state}`))),
            h("td", { class: "buttons" }, state === "active" && h("button", { class: "danger", onclick: () => revoke(token, reload) }, t("tokens.revoke"))),
          );
        }),
      ),
    ),
  );
}

const STATE_BADGES = { active: "sent", expired: "pending", revoked: "failed" };

function stateOf(token) {
  if (token.revoked_at) return "revoked";
  return token.expires_at && Date.parse(token.expires_at) <= Date.now() ? "expired" : "active";
}

async function revoke(token, reload) {
  if (!confirm(t("tokens.confirmRevoke", { name: token.name }))) return;
  try {
    await api(`/api-tokens/${token.id}`, { method: "DELETE" });
    toast(t("tokens.revoked"));
    await reload();
  } catch (e) {
    toast(e.words);
  }
}

/** YYYY-MM-DD in the browser's time zone. */
function day(value) {
  return localInputValue(new Date(value)).slice(0, 10);
}

function dayAfter(days) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return day(date);
}

/** The chosen day is the last one the token works, to its last second in the browser's time zone. */
function endOfDay(value) {
  const [year, month, date] = value.split("-").map(Number);
  return withOffset(new Date(year, month - 1, date, 23, 59, 59));
}
