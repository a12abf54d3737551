// The villager's signature, drawn with a finger on a canvas. Optional: many villagers prefer
// not to sign, and the visit counts without it.

import { t } from "../messages.js";
import { h } from "../ui.js";

export function signaturePad() {
  const canvas = h("canvas", { class: "signature", "aria-label": t("signature.area"), role: "img" });
  let drawn = false;
  let last = null;
  const ctx = () => canvas.getContext("2d");
  function size() {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 320;
    canvas.width = width * ratio;
    canvas.height = 160 * ratio;
    const c = ctx();
    c.scale(ratio, ratio);
    c.lineWidth = 2.5;
    c.lineCap = "round";
    c.strokeStyle = "#111";
  }
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  };
  canvas.addEventListener("pointerdown", (event) => {
    if (!canvas.width) size();
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = point(event);
    const c = ctx();
    c.beginPath();
    c.moveTo(...last);
    c.lineTo(...next);
    c.stroke();
    last = next;
    drawn = true;
  });
  const end = () => (last = null);
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  const clear = h(
    "button",
    {
      type: "button",
      class: "link",
      onclick: () => {
        size();
        drawn = false;
      },
    },
    t("signature.clear"),
  );
  const node = h("fieldset", { class: "stack" }, h("legend", {}, t("signature.title")), canvas, clear);
  requestAnimationFrame(size);
  return { node, canvas, drawn: () => drawn };
}
