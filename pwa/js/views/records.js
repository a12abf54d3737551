// 我的记录: everything recorded on this phone, newest first, with where it stands.

import { t } from "../messages.js";
import { records } from "../outbox.js";
import { session } from "../session.js";
import { formatTime, h } from "../ui.js";
import { stateBadge } from "./common.js";

export const title = () => t("records.title");

export async function render({ app }) {
  const all = await records();
  const list = all.length ? recordList(all) : h("p", { class: "empty" }, t("records.none"));
  return h("div", { class: "stack" }, list, account(app, all));
}

/** Who is logged in, and the way out (which keeps whatever still waits to be sent). */
function account(app, all) {
  const unsent = all.filter((r) => r.state !== "sent").length;
  const me = session().me;
  return h(
    "section",
    { class: "card stack", "aria-label": t("account.title") },
    h("p", {}, t("account.who", { name: me.display_name, username: me.username })),
    h(
      "button",
      {
        class: "secondary",
        onclick: () => (!unsent || confirm(t("account.confirmLogout", { count: unsent }))) && app.logOut(),
      },
      t("account.logout"),
    ),
  );
}

function recordList(all) {
  return h(
    "ul",
    { class: "list", "aria-label": t("records.title") },
    all.map((r) => {
      const when = r.type === "visit" ? r.body.started_at : r.body.at;
      const notes = r.type === "visit" ? r.body.notes : null;
      const extras = [
        r.body.photo_ids?.length ? t("records.photos", { count: r.body.photo_ids.length }) : null,
        r.body.requests?.length ? t("records.requests", { count: r.body.requests.length }) : null,
      ].filter(Boolean);
      return h(
        "li",
        { class: "record" },
        h("div", { class: "row" }, h("strong", {}, r.label), stateBadge(r)),
        h("span", { class: "muted" }, [formatTime(when), ...extras].join(" · ")),
        notes && h("p", { class: "notes" }, notes),
        r.checks?.length > 0 && h("p", { class: "warn-text" }, t("records.checks", { list: r.checks.map((c) => t(`check.${c}`)).join("、") })),
        r.state !== "sent" && r.error && h("p", { class: "error-text" }, r.error.words),
      );
    }),
  );
}
