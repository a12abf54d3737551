// Service worker of the Zoufang phone app, in the spirit of squoosh's: a versioned cache of the
// app shell, old caches removed on activate, GET-only and same-origin only, and an update that
// waits for the user's "更新" instead of reloading under someone filling in a form.
// The server puts the shell's file list and a version (a hash of those files) in front of this
// script, so any change to the app is a new version. The outbox lives in IndexedDB, which no
// cache operation here touches.

const SHELL = self.ZOUFANG_SHELL ?? { version: "dev", files: ["/index.html"] };
const PREFIX = "zoufang-shell-";
const CACHE = PREFIX + SHELL.version;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL.files.map((url) => new Request(url, { cache: "reload" })))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Only the app itself; /api/docs and the like are left to the network.
    if (url.pathname === "/" || url.pathname === "/index.html") {
      event.respondWith(fromCache("/index.html").then((hit) => hit ?? fetch(request)));
    }
    return;
  }
  if (SHELL.files.includes(url.pathname)) {
    event.respondWith(fromCache(url.pathname).then((hit) => hit ?? fetch(request)));
  }
});

async function fromCache(path) {
  const cache = await caches.open(CACHE);
  return cache.match(path);
}
