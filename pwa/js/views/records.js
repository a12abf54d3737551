// 我的记录: what this phone recorded, with where each record stands, and my records of the last
// 90 days that the server has from elsewhere (a new phone, a cleared browser), newest first.
// The phone's own records show at once; the server's join them when they arrive.

import { t } from "../messages.js";
import { records } from "../outbox.js";
import { session } from "../session.js";
import { formatTime, h } from "../ui.js";
import { logOutButton } from "./account.js";
import { stateBadge } from "./common.js";

export const title = () => t("records.title");

export async function render({ app }) {
  const local = await records();
  const shown = h("div", { class: "stack" });
  const show = (all, note) => {
    const list = all.length ? recordList(all.sort(newestFirst)) : h("p", { class: "empty" }, t("records.none"));
    shown.replaceChildren(...(note ? [h("p", { class: "muted", role: "status" }, t(note))] : []), list);
  };
  show(local, "records.loading");
  const messages = h("div", { class: "stack" }); // 来自公开页留言
  import("../history.js")
    .then((history) => {
      history.publicMessages(app.village()).then((nodes) => messages.append(...nodes), () => {});
      return history.withServer(local);
    })
    .then((all) => show(all), () => show(local, "records.unavailable"));
  return h("div", { class: "stack" }, shown, messages, await account(app));
}

function when(record) {
  return record.type === "visit" ? record.body.started_at : record.body.at;
}

function newestFirst(a, b) {
  return Date.parse(when(b)) - Date.parse(when(a));
}

/** Who is logged in, their account (修改密码) and the way out, which keeps what waits to be sent. */
async function account(app) {
  const me = session().me;
  return h(
    "section",
    { class: "card stack", "aria-label": t("account.title") },
    h("p", {}, t("account.who", { name: me.display_name, username: me.username })),
    h("a", { class: "button secondary", href: "#/account" }, t("account.change")),
    await logOutButton(app),
  );
}

function recordList(all) {
  return h(
    "ul",
    { class: "list", "aria-label": t("records.title") },
    all.map((r) => {
      const notes = r.type === "visit" ? r.body.notes : null;
      const extras = [
        r.body.photo_ids?.length ? t("records.photos", { count: r.body.photo_ids.length }) : null,
        r.body.requests?.length ? t("records.requests", { count: r.body.requests.length }) : null,
      ].filter(Boolean);
      return h(
        "li",
        { class: "record" },
        h("div", { class: "row" }, h("strong", {}, r.label), stateBadge(r)),
        h("span", { class: "muted" }, [formatTime(when(r)), ...extras].join(" · ")),
        notes && h("p", { class: "notes" }, notes),
        r.type === "visit" && progress(r.body.requests),
        r.checks?.length > 0 && h("p", { class: "warn-text" }, t("records.checks", { list: r.checks.map((c) => t(`check.${c}`)).join("、") })),
        r.state !== "sent" && r.error && h("p", { class: "error-text" }, r.error.words),
      );
    }),
  );
}

/** Each request's progress as the server knows it (none yet for a visit still on the phone). */
function progress(requests = []) {
  const known = requests.filter((q) => q.status);
  return known.length > 0 && h("ul", { class: "progress" }, known.map((q) => h("li", {}, `${q.category}：${t(`records.request.${q.status}`)}`, q.resolution && h("p", { class: "notes" }, t("records.resolution", { text: q.resolution })))));
}
