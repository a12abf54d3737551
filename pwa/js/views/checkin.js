// 驻村签到: one tap a day (or more: evening check-ins count as nights in the village), with GPS.

import { POOR_ACCURACY_M, watchFix } from "../geo.js";
import { t } from "../messages.js";
import { records } from "../outbox.js";
import { session } from "../session.js";
import { formatTime, h, toast, withOffset } from "../ui.js";
import { checkinLabel, saveOnPhone, stateBadge } from "./common.js";

export const title = () => t("checkin.title");

export async function render({ app }) {
  let fix = null;
  const gps = h("p", { class: "gps wait", role: "status" }, t("gps.waiting"));
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const button = h("button", { class: "primary huge", disabled: true, onclick: checkIn }, t("checkin.button"));
  const village = app.villages().find((v) => v.village_code === app.village());
  const stop = watchFix(({ fix: next, error: problem }) => {
    fix = next ?? fix;
    button.disabled = !fix;
    gps.className = `gps ${fix ? (fix.accuracy_m > POOR_ACCURACY_M ? "warn" : "ok") : "warn"}`;
    gps.textContent = fix
      ? t(fix.accuracy_m > POOR_ACCURACY_M ? "gps.poor" : "gps.ok", { m: fix.accuracy_m })
      : t(problem ? `gps.${problem}` : "gps.waiting");
  });

  const today = new Date().toDateString();
  const mine = (await records()).filter((r) => r.type === "checkin" && new Date(r.created_at).toDateString() === today);
  const list = h(
    "ul",
    { class: "list" },
    mine.map((r) => h("li", { class: "row" }, h("span", {}, formatTime(r.body.at)), stateBadge(r))),
  );

  async function checkIn() {
    error.hidden = true;
    const id = crypto.randomUUID();
    const record = {
      id,
      type: "checkin",
      username: session().username,
      label: checkinLabel(village),
      body: {
        id,
        village_code: app.village(),
        at: withOffset(new Date()),
        lat: fix.lat,
        lon: fix.lon,
        accuracy_m: fix.accuracy_m,
      },
    };
    if (!(await saveOnPhone({ record, button, error }))) return;
    stop();
    toast(t("checkin.saved"));
    await app.recorded();
    app.navigate("#/records");
  }

  const node = h(
    "div",
    { class: "stack center" },
    h("p", { class: "lead" }, village ? village.village_name : ""),
    button,
    gps,
    error,
    h("h2", {}, t("checkin.today")),
    mine.length ? list : h("p", { class: "muted" }, t("checkin.noneToday")),
  );
  return { node, cleanup: stop };
}
