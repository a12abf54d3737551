// Small DOM helpers. Text always goes in as text (never as HTML): names and notes come from
// people and must not become markup.

import { t } from "./messages.js";

/** h("button", {class: "big", onclick}, "保存") → element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

/** "12月2日 09:05", as people write it (Intl's zh-CN short form is the ambiguous "12/2"). */
export function formatTime(value) {
  if (value == null) return "";
  const d = new Date(value);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "3 天前", "从未走访" — how long since a household was last visited. */
export function since(ms) {
  if (ms == null) return t("household.never");
  const days = Math.floor((Date.now() - ms) / 86_400_000);
  return days <= 0 ? t("household.today") : t("household.daysAgo", { days });
}

/** A short message at the bottom of the screen, read out by screen readers. */
export function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 4000);
}

/** The value for a datetime-local input, in the phone's own time. */
export function localInputValue(date = new Date()) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

/** RFC 3339 with the phone's offset, e.g. 2026-12-01T09:30:00+08:00. */
export function withOffset(date) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return `${localInputValue(date)}:${pad(date.getSeconds())}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}
