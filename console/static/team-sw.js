/* Service worker of the team page: the page, its scripts, style and the city map stay available
   without signal. Network first (a phone with signal always gets the current version), the cache
   when there is none. Actions (POST), task lists and streams are never cached: the page keeps its
   own outbox and last task list in localStorage. */
"use strict";

const CACHE = "patrol-team-v1";
const SHELL = ["/team", "/static/team.js", "/static/team-map.js", "/static/i18n.js", "/static/style.css"];
const CACHED_API = ["/api/city", "/api/me", "/api/team/phone"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!SHELL.includes(url.pathname) && !CACHED_API.includes(url.pathname)) return;
  event.respondWith(
    fetch(event.request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
      }
      return response;
    }).catch(() => caches.match(url.pathname).then((hit) => hit || Response.error())),
  );
});
