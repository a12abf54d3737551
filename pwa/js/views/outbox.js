// 待发送: what waits, what failed and why, and one button that sends it all now.

import { t } from "../messages.js";
import { discard, waiting } from "../outbox.js";
import { formatTime, h } from "../ui.js";
import { stateBadge } from "./common.js";

export const title = () => t("outbox.title");

export async function render({ app }) {
  const entries = await waiting();
  const failed = entries.filter((r) => r.state === "failed").length;
  const retry = h(
    "button",
    { class: "primary big", disabled: !entries.length || app.syncing(), onclick: () => app.syncNow() },
    app.syncing() ? t("outbox.sending") : t("outbox.retry"),
  );
  const header = h(
    "div",
    { class: "stack" },
    h(
      "p",
      { class: "summary", role: "status" },
      !entries.length
        ? t("outbox.empty")
        : t(failed ? "outbox.summaryFailed" : "outbox.summary", { count: entries.length, failed }),
    ),
    !navigator.onLine && h("p", { class: "warn-text" }, t("outbox.offline")),
    retry,
  );
  const list = h(
    "ul",
    { class: "list", "aria-label": t("outbox.title") },
    entries.map((r) =>
      h(
        "li",
        { class: "record", dataset: { id: r.id, state: r.state } },
        h("div", { class: "row" }, h("strong", {}, r.label), stateBadge(r)),
        h("span", { class: "muted" }, t("outbox.savedAt", { time: formatTime(r.created_at) })),
        r.error &&
          h(
            "p",
            { class: r.state === "failed" ? "error-text" : "warn-text" },
            r.state === "failed"
              ? t("outbox.refused", { reason: r.error.words })
              : t("outbox.willRetry", { reason: r.error.words, time: formatTime(r.next_at) }),
          ),
        r.state === "failed" &&
          h(
            "div",
            { class: "buttons" },
            r.type === "visit" && h("a", { class: "button secondary", href: `#/visit?edit=${r.id}` }, t("outbox.fix")),
            h(
              "button",
              {
                class: "danger",
                onclick: async () => {
                  if (!confirm(t("outbox.confirmDiscard", { label: r.label }))) return;
                  await discard(r.id);
                  app.refresh();
                },
              },
              t("outbox.discard"),
            ),
          ),
      ),
    ),
  );
  return h("div", { class: "stack" }, header, list);
}
