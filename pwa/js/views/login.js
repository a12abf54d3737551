// Log in. Records waiting on this phone belong to the account that made them, so another
// account cannot log in until they are sent (they would otherwise go up under the wrong name).

import { t } from "../messages.js";
import { askPersistence, waiting } from "../outbox.js";
import { logIn, session } from "../session.js";
import { h } from "../ui.js";

export const title = () => t("login.title");

export function render({ app }) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  // After an expired login the phone still knows whose records it holds.
  const username = h("input", {
    id: "username",
    name: "username",
    autocomplete: "username",
    required: true,
    value: session()?.username ?? "",
  });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const button = h("button", { type: "submit", class: "primary big" }, t("login.submit"));
  const form = h(
    "form",
    { class: "card stack", onsubmit: submit },
    h("label", { for: "username" }, t("login.username")),
    username,
    h("label", { for: "password" }, t("login.password")),
    password,
    error,
    button,
  );

  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    const name = username.value.trim();
    const others = (await waiting()).filter((r) => r.username && r.username !== name);
    if (others.length) {
      return showError(t("login.otherOwner", { count: others.length, username: others[0].username }));
    }
    button.disabled = true;
    button.textContent = t("login.busy");
    try {
      await logIn(name, password.value);
      askPersistence().catch(() => {});
      await app.loggedIn();
    } catch (e) {
      showError(e.network ? t("login.offline") : e.words || t("login.failed"));
    } finally {
      button.disabled = false;
      button.textContent = t("login.submit");
    }
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  return h("div", { class: "stack" }, h("p", { class: "lead" }, t("login.lead")), form);
}
