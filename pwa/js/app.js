// The app: boots from the phone's own storage (so it opens with no signal), routes between
// screens, keeps the header's sync state current and sends the outbox whenever it can.

import { get, put } from "./db.js";
import { loadHouseholds, refreshHouseholds } from "./households.js";
import { t } from "./messages.js";
import { flush, onOutboxChange, records, waiting } from "./outbox.js";
import { logOut, markExpired, refreshMe, restoreSession, session, villages } from "./session.js";
import { h, toast } from "./ui.js";

const inspecting = (name) => () => import("./views/inspect.js").then((m) => m[name]);
// The screens used at a desk (supervisors', the county office's) bring their own styles, which
// phones need not keep.
const atDesk = (load) => () => {
  if (!document.getElementById("office-css")) document.head.append(h("link", { id: "office-css", rel: "stylesheet", href: "/css/office.css" }));
  return load();
};
const adminScreen = (name) => atDesk(() => import(`./admin/${name}.js`));

// Screens load when first opened: a first visit over a slow link waits only for what the login
// screen needs (index.html preloads exactly that), and the service worker caches the rest.
const routes = {
  login: () => import("./views/login.js"),
  todo: () => import("./views/todo.js"),
  households: () => import("./views/households.js"),
  visit: () => import("./views/visit.js"),
  checkin: () => import("./views/checkin.js"),
  records: () => import("./views/records.js"),
  rectify: () => import("./views/rectify.js"),
  outbox: () => import("./views/outbox.js"),
  overview: atDesk(() => import("./supervise/overview.js")),
  flags: atDesk(() => import("./supervise/flags.js")),
  village: atDesk(() => import("./supervise/village.js")),
  secretary: atDesk(() => import("./supervise/secretary.js")),
  requests: atDesk(() => import("./supervise/requests.js")),
  // Inspections: used offline in the villages, so kept on phones like the secretaries' screens.
  inspect: inspecting("inspect"),
  inspection: inspecting("inspection"),
  answer: inspecting("answer"),
  results: inspecting("results"),
  // The county office's screens: online-only, kept out of the phones' precache (api/ops/pwa.py).
  admin: adminScreen("hub"),
  people: adminScreen("people"),
  person: adminScreen("person"),
  places: adminScreen("places"),
  place: adminScreen("place"),
  ledger: adminScreen("ledger"),
  tokens: adminScreen("tokens"),
  audit: adminScreen("audit"),
  // Every role's own account: name, scope, 修改密码 and 退出登录.
  account: () => import("./views/account.js"),
};
const SUPERVISOR_ROUTES = new Set(["overview", "flags", "village", "secretary", "requests", "inspect", "inspection", "answer", "results"]);
const WIDE_SUPERVISOR_ROUTES = new Set(["overview", "flags", "village", "secretary", "requests"]);
const ADMIN_ROUTES = new Set(["admin", "people", "person", "places", "place", "ledger", "tokens", "audit"]);
const ADMIN_ROLES = new Set(["admin", "county", "town"]);
const EVERYONE_ROUTES = new Set(["login", "outbox", "account"]);
const LIVE_VIEWS = new Set(["outbox", "records", "inspection", "results"]); // redrawn when the outbox changes
const RETRY_EVERY_MS = 20_000;

const main = document.getElementById("view");
const heading = document.getElementById("title");
const tabs = document.getElementById("tabs");
const chip = document.getElementById("sync-chip");

let village = null;
let syncing = false;
let current = { name: null, cleanup: null };
let drawing = 0; // the latest refresh wins when several overlap

const app = {
  villages,
  village: () => village,
  async setVillage(code) {
    village = code;
    await put("kv", code, "village");
    refresh();
  },
  navigate(hash) {
    if (location.hash === hash) refresh();
    else location.hash = hash;
  },
  refresh,
  syncing: () => syncing,
  syncNow,
  async loggedIn() {
    clearBanner("auth");
    await chooseVillage();
    app.navigate(`#/${home()}`);
    await syncWithServer();
  },
  async recorded() {
    await reloadHouseholds();
    syncNow({ force: false });
  },
  async logOut() {
    await logOut();
    app.navigate("#/login");
  },
};

/** Supervisors, inspectors and administrators watch; secretaries record. */
function supervising() {
  return Boolean(session()) && session().me.role !== "secretary";
}

/** Inspectors start at their inspections; the other watchers at the overview. */
function home() {
  return !supervising() ? "todo" : session().me.role === "inspector" ? "inspect" : "overview";
}

/** Town, county and admin accounts look after people, places and ledgers in their scope. */
function administering() {
  return Boolean(session()) && ADMIN_ROLES.has(session().me.role);
}

function routeName() {
  const name = location.hash.replace(/^#\//, "").split("?")[0] || home();
  // A password reset by someone else must be replaced before anything else is done.
  if (session()?.me.must_change_password && name !== "login") return "account";
  if (!(name in routes) || EVERYONE_ROUTES.has(name)) return name in routes ? name : home();
  if (ADMIN_ROUTES.has(name)) return administering() ? name : home();
  return SUPERVISOR_ROUTES.has(name) === supervising() ? name : home();
}

async function refresh() {
  let name = routeName();
  if (!session() && name !== "login") name = "login";
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const turn = ++drawing;
  const view = await routes[name]();
  const noVillage = name !== "login" && !supervising() && !villages().length;
  const rendered = noVillage ? notice(t("village.none")) : await draw(view, params);
  if (turn !== drawing) {
    rendered.cleanup?.();
    return;
  }
  current.cleanup?.();
  const node = rendered instanceof Node ? rendered : rendered.node;
  const moved = current.name !== name || ["visit", "village", "secretary", "answer", "person", "place"].includes(name);
  current = { name, cleanup: rendered.cleanup ?? null };
  const text = noVillage ? t("app.name") : view.title();
  heading.textContent = text;
  document.title = `${text} · ${t("app.name")}`;
  main.replaceChildren(node);
  main.classList.toggle("wide", ADMIN_ROUTES.has(name) || WIDE_SUPERVISOR_ROUTES.has(name)); // tables use a desk's width
  showWho();
  if (moved) window.scrollTo(0, 0); // a new screen starts at its top; a redraw keeps the place
  tabs.hidden = !session();
  for (const link of tabs.querySelectorAll("a")) {
    const audience = link.dataset.for;
    link.hidden = audience === "admin" ? !administering() : audience !== "all" && (audience === "supervisor") !== supervising();
    link.toggleAttribute("aria-current", link.getAttribute("href") === `#/${name}`);
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
  updateChip();
}

/** The screen, or what kept it from loading (no signal for a supervisor's live figures, say). */
async function draw(view, params) {
  try {
    return await view.render({ app, params });
  } catch (error) {
    return h("p", { class: "error", role: "alert" }, t("error.load", { reason: error?.words ?? String(error) }));
  }
}

/** The header names who is logged in and over what, and leads to their account. */
function showWho() {
  const who = document.getElementById("who");
  const me = session()?.me;
  who.hidden = !me;
  if (me) who.textContent = [me.display_name, me.scope_name].filter(Boolean).join(" · ");
}

function notice(text) {
  return h("div", { class: "stack" }, h("p", { class: "lead" }, text), h("button", { class: "secondary", onclick: app.logOut }, t("account.logout")));
}

async function chooseVillage() {
  const codes = villages().map((v) => v.village_code);
  const saved = await get("kv", "village");
  village = codes.includes(saved) ? saved : (codes[0] ?? null);
}

async function reloadHouseholds() {
  await loadHouseholds(await records());
}

async function updateChip() {
  const entries = await waiting();
  const failed = entries.filter((r) => r.state === "failed").length;
  const badge = tabs.querySelector(".count");
  badge.textContent = entries.length ? String(entries.length) : "";
  badge.hidden = !entries.length;
  chip.hidden = !session() || (supervising() && !entries.length);
  chip.classList.toggle("alert", failed > 0);
  chip.textContent = syncing
    ? t("chip.sending")
    : [navigator.onLine ? null : t("chip.offline"), entries.length ? t("chip.waiting", { count: entries.length }) : t("chip.done")]
        .filter(Boolean)
        .join(" · ");
}

/**
 * Send the outbox; `force` (the default) ignores the back-off of earlier failures. Whatever
 * arrived changes the households' visit dates and counts, so they are downloaded again after.
 */
async function syncNow({ force = true } = {}) {
  if (!session()) return;
  if (!session().token) {
    authExpired();
    return;
  }
  syncing = true;
  updateChip();
  if (LIVE_VIEWS.has(current.name)) refresh();
  let sent = 0;
  try {
    const result = await flush({ force });
    sent = result.sent;
    if (result.authExpired) await expire();
    else if (force && sent) toast(t("sync.sent", { count: sent }));
  } catch (error) {
    toast(t("sync.failed", { reason: error?.message ?? error }));
  } finally {
    syncing = false;
    updateChip();
    if (LIVE_VIEWS.has(current.name)) refresh();
  }
  if (sent) await downloadHouseholds();
  return sent;
}

/** Online: send what waits first, then bring the account and the households up to date. */
async function syncWithServer() {
  if (!navigator.onLine || !session()?.token) return;
  const sent = await syncNow();
  if (!sent) await downloadHouseholds(); // a sync that sent something has downloaded them already
}

async function downloadHouseholds() {
  if (!navigator.onLine || !session()?.token) return;
  try {
    await refreshMe();
    await chooseVillage();
    await refreshHouseholds(villages().map((v) => v.village_code));
    await reloadHouseholds();
    if (["todo", "households"].includes(current.name)) refresh();
  } catch (error) {
    if (error.status === 401) await expire();
  }
}

async function expire() {
  await markExpired();
  authExpired();
}

function authExpired() {
  banner("auth", t("auth.expired"), t("auth.login"), () => app.navigate("#/login"));
}

function banner(key, text, action, onAction) {
  clearBanner(key);
  const box = h(
    "div",
    { class: "banner", dataset: { key } },
    h("span", {}, text),
    action && h("button", { class: "secondary", onclick: onAction }, action),
  );
  document.getElementById("banners").append(box);
}

function clearBanner(key) {
  document.querySelector(`#banners [data-key="${key}"]`)?.remove();
}

/** Offer a new version instead of reloading under someone filling in a form. */
function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  let accepted = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (accepted) location.reload();
  });
  navigator.serviceWorker.register("/sw.js").then((registration) => {
    const offer = (worker) =>
      banner("update", t("update.ready"), t("update.apply"), () => {
        accepted = true;
        worker.postMessage({ type: "SKIP_WAITING" });
      });
    if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker?.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
      });
    });
  });
}

async function warnIfStorageLow() {
  const estimate = await navigator.storage?.estimate?.();
  if (estimate?.quota && estimate.usage / estimate.quota > 0.9) banner("storage", t("error.storageLow"));
}

/** The timer's turn: send only when the back-off of some waiting record has run out. */
async function retryDue() {
  if (syncing || !navigator.onLine || !session()?.token) return;
  const now = Date.now();
  if ((await waiting()).some((r) => r.state === "pending" && r.next_at <= now)) await syncNow({ force: false });
}

async function boot() {
  // Fetch the first screen's code while the phone's storage is read, not after.
  routes[routeName()]().catch(() => {});
  registerServiceWorker();
  await restoreSession();
  if (session() && !session().token) authExpired();
  await chooseVillage();
  await reloadHouseholds();
  onOutboxChange(updateChip);
  window.addEventListener("hashchange", refresh);
  window.addEventListener("online", () => syncWithServer());
  window.addEventListener("offline", updateChip);
  chip.addEventListener("click", () => syncNow());
  await refresh();
  document.documentElement.dataset.ready = "true";
  performance.mark("zoufang-ready");
  warnIfStorageLow().catch(() => {});
  setInterval(retryDue, RETRY_EVERY_MS);
  await syncWithServer();
}

// Plain HTTP at another computer's address: the browser withholds what the app needs, so
// it explains that instead of starting (see js/insecure.js).
if (window.isSecureContext) boot();
else import("./insecure.js").then((page) => page.explain(main, heading));
