// Charts drawn by the app as plain SVG (there are no map tiles or chart libraries offline).
// Each chart carries a text summary for screen readers.

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  el.append(...children.flat(Infinity).filter(Boolean));
  return el;
}

function frame(width, height, label, ...children) {
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart" }, ...children);
}

/** Bars for a series (visits per week), the latest on the right. */
export function bars(values, label) {
  const width = 320;
  const height = 120;
  const top = Math.max(1, ...values);
  const step = width / values.length;
  return frame(
    width,
    height + 16,
    label,
    values.map((v, i) => {
      const h = (v / top) * height;
      return svg(
        "g",
        {},
        svg("rect", { x: i * step + 2, y: height - h, width: step - 4, height: Math.max(h, 1), class: v ? "bar" : "bar empty" }),
        svg("text", { x: i * step + step / 2, y: height + 13, "text-anchor": "middle", class: "tick" }, String(v)),
      );
    }),
  );
}

/** Visit positions around the village centre, with its radius: off-site points stand out. */
export function positions(points, centre, radiusM, label) {
  const size = 300;
  const metres = (p) => [
    (p.lon - centre.lon) * 111_320 * Math.cos((centre.lat * Math.PI) / 180),
    (p.lat - centre.lat) * 110_540,
  ];
  const far = Math.max(radiusM * 1.3, ...points.map((p) => Math.hypot(...metres(p))));
  const scale = (size / 2 - 8) / far;
  const at = (p) => metres(p).map((m, i) => size / 2 + (i ? -m : m) * scale);
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
  );
}

/** A calendar of the last days: a filled square for a day present, a dot for a night. */
export function calendar(marks, days, today, label) {
  const byDay = new Map(marks.map((m) => [m.day, m]));
  const cell = 14;
  const weeks = Math.ceil(days / 7) + 1;
  const first = new Date(today.getTime() - (days - 1) * 86_400_000);
  const offset = (first.getDay() + 6) % 7;
  const cells = [];
  for (let i = 0; i < days; i++) {
    const date = new Date(first.getTime() + i * 86_400_000);
    const key = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
    const mark = byDay.get(key);
    const x = Math.floor((i + offset) / 7) * cell;
    const y = ((i + offset) % 7) * cell;
    cells.push(svg("rect", { x, y, width: cell - 2, height: cell - 2, class: mark?.day_present ? "day present" : "day" }));
    if (mark?.night) cells.push(svg("circle", { cx: x + cell / 2 - 1, cy: y + cell / 2 - 1, r: 2.5, class: "night" }));
  }
  return frame(weeks * cell, 7 * cell, label, cells);
}

/** Visits by weekday (rows, Monday first) and hour (columns): circles sized by count. */
export function punchCard(grid, label) {
  const cell = 13;
  const top = Math.max(1, ...grid.flat());
  return frame(
    24 * cell + 20,
    7 * cell,
    label,
    grid.map((row, day) => [
      svg("text", { x: 0, y: day * cell + 10, class: "tick" }, "一二三四五六日"[day]),
      row.map((count, hour) =>
        count ? svg("circle", { cx: 20 + hour * cell + cell / 2, cy: day * cell + cell / 2, r: 1.5 + (count / top) * 4.5, class: "punch" }) : null,
      ),
    ]),
  );
}
