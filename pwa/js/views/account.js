// 账号: who is logged in and over what, 修改密码 and 退出登录 — for every role. After a password
// reset by someone else, the app shows only this screen until a new password is chosen.

import { t } from "../messages.js";
import { waiting } from "../outbox.js";
import { changePassword, session } from "../session.js";
import { h, toast } from "../ui.js";

export const title = () => t("account.title");

export async function render({ app }) {
  const me = session().me;
  return h(
    "div",
    { class: "stack" },
    me.must_change_password && h("p", { class: "warn-text", role: "alert" }, t("account.mustChange")),
    h(
      "section",
      { class: "card stack", "aria-label": t("account.title") },
      h("p", {}, t("account.who", { name: me.display_name, username: me.username })),
      h("p", { class: "muted" }, t("account.role", { role: t(`role.${me.role}`) }), " · ", t("account.scope", { scope: me.scope_name ?? t("account.scopeAll") })),
    ),
    me.role === "secretary" && publicInfo(app.village()),
    passwordForm(app),
    await logOutButton(app),
  );
}

function passwordForm(app) {
  const field = (id, label, autocomplete) => {
    const input = h("input", { id, type: "password", autocomplete, required: true, maxlength: 200 });
    return [input, h("div", { class: "field" }, h("label", { for: id }, label), input)];
  };
  const [old, oldField] = field("old-password", t("account.old"), "current-password");
  const [fresh, freshField] = field("new-password", t("account.new"), "new-password");
  const [repeat, repeatField] = field("repeat-password", t("account.repeat"), "new-password");
  fresh.minLength = 8;
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "primary big" }, t("account.save"));

  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    if (fresh.value !== repeat.value) return show(t("account.mismatch"));
    button.disabled = true;
    try {
      await changePassword(old.value, fresh.value);
      toast(t("account.changed"));
      app.navigate("#/");
    } catch (e) {
      show(e.network ? t("account.offline") : e.words);
    } finally {
      button.disabled = false;
    }
  }

  function show(text) {
    error.textContent = text;
    error.hidden = false;
  }

  return h(
    "form",
    { class: "card stack", onsubmit: submit, "aria-labelledby": "change-title" },
    h("h2", { id: "change-title" }, t("account.change")),
    h("p", { class: "muted" }, t("account.rules")),
    oldField,
    freshField,
    repeatField,
    error,
    button,
  );
}

/** The way out, which keeps whatever still waits to be sent (and says so first). */
export async function logOutButton(app) {
  const unsent = (await waiting()).length;
  return h(
    "button",
    {
      class: "secondary",
      onclick: () => (!unsent || confirm(t("account.confirmLogout", { count: unsent }))) && app.logOut(),
    },
    t("account.logout"),
  );
}

/** 公开信息, with a signal only (js/supervise/publicity.js); offline it is left out. */
function publicInfo(code) {
  const box = h("div");
  import("../supervise/publicity.js").then((m) => m.publicProfile(code)).then((section) => box.append(section), () => {});
  return box;
}
