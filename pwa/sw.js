// Service worker of the Zoufang PWA. The offline app shell and the outbox arrive with the
// phone app itself; until then it only takes control so that later versions can update cleanly.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
