// Shown when the app is opened over plain HTTP at another computer's address. Browsers keep
// from such pages what the app lives on: keeping itself for use without signal, the phone's
// location, the ids it gives each record. Rather than fail later with a wrong hint (about
// permissions, say), the app says at once what is needed and whom to ask. Never kept on phones:
// where this page is needed, nothing can be kept.

import { h } from "./ui.js";

const WORDS = {
  title: "需要安全连接",
  lead: "这个地址是不安全的 http:// 连接。手机浏览器只在安全连接（https://）下才允许本应用离线保存记录、获取定位和拍照，所以现在不能使用。",
  address: "现在打开的地址：",
  ask: "请转告县里负责服务器的同志：",
  fix: "走访服务需要配置 HTTPS（例如在服务前面放一个 Caddy 反向代理，操作步骤见说明书“部署”一节），然后把以 https:// 开头的地址发给大家。",
  known: "如果已经有 https:// 开头的地址，请改用那个地址打开，并“添加到主屏幕”。",
};

export function explain(main, heading) {
  heading.textContent = WORDS.title;
  document.title = `走访 · ${WORDS.title}`;
  main.replaceChildren(
    h(
      "section",
      { class: "card insecure" },
      h("p", { class: "lead" }, WORDS.lead),
      h("p", {}, WORDS.address, h("code", {}, location.href)),
      h("p", {}, h("strong", {}, WORDS.ask), WORDS.fix),
      h("p", {}, WORDS.known),
    ),
  );
  document.documentElement.dataset.ready = "true";
}
