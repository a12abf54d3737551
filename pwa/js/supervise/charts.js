// Charts drawn by the app as plain SVG (there are no map tiles or chart libraries offline).
// Each has labelled axes a supervisor can read at 360 px — which week, which hour, which day,
// how many metres — and a text summary for screen readers.

import { t } from "./messages.js";

const NS = "http://www.w3.org/2000/svg";
const DAY_MS = 86_400_000;
const WEEKDAYS = "一二三四五六日"; // the weekday names as calendars print them

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

function frame(width, height, label, ...children) {
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart" }, ...children);
}

const text = (x, y, words, attrs = {}) => svg("text", { x, y, class: "tick", ...attrs }, String(words));
const monthDay = (date) => `${date.getMonth() + 1}/${date.getDate()}`;

/** The Monday that starts the week `weeksAgo` weeks before this one, in the browser's time. */
export function weekStart(weeksAgo, today = new Date()) {
  const monday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - ((today.getDay() + 6) % 7));
  return new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() - 7 * weeksAgo);
}

/** "11/3 那周 4 次、11/10 那周 0 次…": the weekly bars in words, for screen readers. */
export function weeklyInWords(values, today = new Date()) {
  return values.map((v, i) => t("chart.week", { monday: monthDay(weekStart(values.length - 1 - i, today)), count: v })).join("、");
}

/** Visits per week, the latest on the right: each bar's count above it, its week's Monday below. */
export function bars(values, label, today = new Date()) {
  const left = 8;
  const width = 336;
  const plot = 110;
  const top = Math.max(1, ...values);
  const step = (width - 2 * left) / values.length;
  const every = step < 40 ? 2 : 1; // the dates need about 40 units each: every other week when narrow
  return frame(
    width,
    plot + 44,
    label,
    svg("line", { x1: left, y1: plot + 16, x2: width - left, y2: plot + 16, class: "axis" }),
    values.map((v, i) => {
      const height = (v / top) * plot;
      const x = left + i * step;
      const monday = weekStart(values.length - 1 - i, today);
      return svg(
        "g",
        {},
        svg("rect", { x: x + 3, y: plot + 16 - height, width: step - 6, height: Math.max(height, 1), class: v ? "bar" : "bar empty" }),
        text(x + step / 2, plot + 12 - height, v, { "text-anchor": "middle" }),
        (values.length - 1 - i) % every === 0 && text(x + step / 2, plot + 30, monthDay(monday), { "text-anchor": "middle" }),
      );
    }),
    text(width / 2, plot + 42, t("chart.weeksAxis"), { "text-anchor": "middle" }),
  );
}

/** A round length for the scale bar, about a quarter of the chart's half-width. */
function scaleLength(metres) {
  const rough = metres / 2;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [5, 2, 1].map((f) => f * power).find((m) => m <= rough) ?? power;
}

/** Visit positions around the village centre, with its radius, north up and a metre scale. */
export function positions(points, centre, radiusM, label) {
  const size = 300;
  const metres = (p) => [
    (p.lon - centre.lon) * 111_320 * Math.cos((centre.lat * Math.PI) / 180),
    (p.lat - centre.lat) * 110_540,
  ];
  const far = Math.max(radiusM * 1.3, ...points.map((p) => Math.hypot(...metres(p))));
  const scale = (size / 2 - 12) / far;
  const at = (p) => metres(p).map((m, i) => size / 2 + (i ? -m : m) * scale);
  const bar = scaleLength(far);
  const barWidth = bar * scale;
  return frame(
    size,
    size,
    label,
    svg("circle", { cx: size / 2, cy: size / 2, r: radiusM * scale, class: "radius" }),
    svg("circle", { cx: size / 2, cy: size / 2, r: 3, class: "centre" }),
    points.map((p) => {
      const [x, y] = at(p);
      return svg("circle", { cx: x, cy: y, r: 4, class: p.off_site ? "point off" : "point" });
    }),
    // North: an arrow at the top right.
    svg("path", { d: `M ${size - 20} 30 L ${size - 14} 14 L ${size - 8} 30 Z`, class: "north" }),
    text(size - 14, 44, t("chart.north"), { "text-anchor": "middle" }),
    // The scale: a bar of a round number of metres at the bottom left.
    svg("line", { x1: 12, y1: size - 14, x2: 12 + barWidth, y2: size - 14, class: "scale" }),
    text(12, size - 20, bar >= 1000 ? t("chart.km", { km: bar / 1000 }) : t("chart.metres", { metres: bar })),
  );
}

/** The last days as a calendar, weeks as columns (Monday on top): the day of the month in each
 * square, filled for a day present, a dot for a night; each month named above its first week. */
export function calendar(marks, days, today, label) {
  const byDay = new Map(marks.map((m) => [m.day, m]));
  const cell = 20;
  const left = 16;
  const head = 14;
  const first = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  const offset = (first.getDay() + 6) % 7;
  const weeks = Math.ceil((days + offset) / 7);
  const cells = [];
  for (let i = 0; i < days; i++) {
    const date = new Date(first.getFullYear(), first.getMonth(), first.getDate() + i);
    const key = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
    const mark = byDay.get(key);
    const x = left + Math.floor((i + offset) / 7) * cell;
    const y = head + ((i + offset) % 7) * cell;
    cells.push(svg("rect", { x, y, width: cell - 2, height: cell - 2, class: mark?.day_present ? "day present" : "day" }));
    cells.push(text(x + (cell - 2) / 2, y + 12, date.getDate(), { "text-anchor": "middle", class: mark?.day_present ? "tick on" : "tick" }));
    if (mark?.night) cells.push(svg("circle", { cx: x + cell - 5, cy: y + 3, r: 2.5, class: "night" }));
    if (date.getDate() === 1 || i === 0) cells.push(text(x, head - 4, t("chart.month", { month: date.getMonth() + 1 })));
  }
  const weekdays = [...WEEKDAYS].map((d, row) => text(0, head + row * cell + 13, d));
  return frame(left + weeks * cell, head + 7 * cell, label, weekdays, cells);
}

/** Visits by weekday (rows, Monday first) and hour (columns, 0–23): circles sized by count. */
export function punchCard(grid, label) {
  const cell = 13;
  const left = 20;
  const top = Math.max(1, ...grid.flat());
  return frame(
    left + 24 * cell + 4,
    7 * cell + 16,
    label,
    [0, 6, 12, 18].map((hour) => svg("line", { x1: left + hour * cell, y1: 0, x2: left + hour * cell, y2: 7 * cell, class: "grid-line" })),
    grid.map((row, day) => [
      text(0, day * cell + 10, WEEKDAYS[day]),
      row.map((count, hour) =>
        count ? svg("circle", { cx: left + hour * cell + cell / 2, cy: day * cell + cell / 2, r: 1.5 + (count / top) * 4.5, class: "punch" }) : null,
      ),
    ]),
    [0, 6, 12, 18, 24].map((hour) => text(left + hour * cell, 7 * cell + 12, t("chart.hour", { hour }), { "text-anchor": hour === 24 ? "end" : "middle" })),
  );
}
