// What a village shows the public: the printable 公示牌 and 联系卡, the public page (/v/<code>),
// and the secretary's own 公开信息 (the work phone and the portrait printed on them). All of it
// needs a signal, so it lives with the online-only screens; the secretary's account screen
// loads it when it opens, the supervisors' village page with itself.

import { api, apiBlob } from "../api.js";
import { preparePhoto } from "../photos.js";
import { refreshMe } from "../session.js";
import { h, toast } from "../ui.js";
import { t } from "./messages.js";

/**
 * A printable page of the API in a new tab, with a 打印 button at its top that the printout
 * leaves out (the page's own, when it has one). The tab is opened at once, inside the click,
 * so no pop-up blocker stops it; the page is written into it when it arrives.
 */
export async function openToPrint(path) {
  const tab = window.open("", "_blank");
  if (!tab) return toast(t("bulletin.popupBlocked"));
  tab.document.title = t("bulletin.opening");
  try {
    const page = await (await apiBlob(path)).text();
    tab.document.open();
    tab.document.write(page);
    tab.document.close();
    let button = tab.document.querySelector("button.print, [data-print]");
    if (!button) {
      button = tab.document.createElement("button");
      button.className = "print";
      button.textContent = t("bulletin.print");
      tab.document.body.prepend(button);
    }
    button.addEventListener("click", () => tab.print());
  } catch (e) {
    tab.close();
    toast(e.words ?? String(e));
  }
}

/** 公示牌 / 联系卡 / 公开页 for one village. */
export function publicButtons(code) {
  return h(
    "div",
    { class: "buttons" },
    h("button", { type: "button", class: "secondary", onclick: () => openToPrint(`/villages/${code}/notice?format=html`) }, t("public.notice")),
    h("button", { type: "button", class: "secondary", onclick: () => openToPrint(`/villages/${code}/contact-cards`) }, t("public.cards")),
    h("a", { class: "button secondary", href: `/v/${code}`, target: "_blank", rel: "noopener" }, t("public.page")),
  );
}

/**
 * 公开信息 on the secretary's account screen: the work phone to publish and a portrait (taken or
 * picked, shrunk, uploaded as the secretary's own photo), then the poster, the cards and the page.
 */
export async function publicProfile(code) {
  const me = await refreshMe();
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  const phone = h("input", { id: "public-phone", type: "tel", inputmode: "tel", autocomplete: "tel", maxlength: 20, value: me.public_phone ?? "" });
  const portrait = h("div", { class: "thumbs" });
  const status = h("p", { class: "muted", role: "status" });
  async function showPortrait(id) {
    portrait.replaceChildren();
    if (!id) return portrait.append(h("p", { class: "muted" }, t("public.noPortrait")));
    try {
      const blob = await apiBlob(`/photos/${id}/thumb`);
      portrait.append(h("figure", {}, h("img", { src: URL.createObjectURL(blob), alt: t("public.portraitAlt", { name: me.display_name }) })));
    } catch {
      portrait.append(h("p", { class: "muted" }, t("public.noPortrait")));
    }
  }
  async function save(body, done) {
    error.hidden = true;
    try {
      await api("/me/public-profile", { method: "PATCH", json: body });
      await refreshMe();
      toast(done);
      return true;
    } catch (e) {
      error.textContent = e.words;
      error.hidden = false;
      return false;
    }
  }
  const pick = (capture) =>
    h("input", {
      type: "file",
      accept: "image/*",
      capture,
      hidden: true,
      onchange: async (event) => {
        const file = event.target.files[0];
        event.target.value = "";
        if (!file) return;
        status.textContent = t("public.uploading");
        try {
          const photo = await preparePhoto(file);
          const form = new FormData();
          form.append("id", photo.id);
          form.append("file", photo.blob, `${photo.id}.jpg`);
          await api("/photos", { method: "POST", form });
          if (await save({ portrait_photo_id: photo.id }, t("public.portraitSaved"))) await showPortrait(photo.id);
        } catch (e) {
          error.textContent = e.words ?? String(e);
          error.hidden = false;
        } finally {
          status.textContent = "";
        }
      },
    });
  const camera = pick("user");
  const gallery = pick(null);
  await showPortrait(me.portrait_photo_id);
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "public-title" },
    h("h2", { id: "public-title" }, t("public.title")),
    h("p", { class: "muted" }, t("public.lead")),
    h(
      "form",
      { class: "stack", onsubmit: (event) => (event.preventDefault(), save({ public_phone: phone.value.trim() || null }, t("public.phoneSaved"))) },
      h("div", { class: "field" }, h("label", { for: "public-phone" }, t("public.phone")), phone),
      h("button", { type: "submit", class: "secondary" }, t("public.savePhone")),
    ),
    h("h3", {}, t("public.portrait")),
    portrait,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "button", class: "secondary", onclick: () => camera.click() }, t("public.takePortrait")),
      h("button", { type: "button", class: "secondary", onclick: () => gallery.click() }, t("public.pickPortrait")),
    ),
    camera,
    gallery,
    status,
    error,
    code && publicButtons(code),
  );
}
