/* The door-to-door pages' service worker, served at /thuc-dia/sw.js (scope /thuc-dia/)
   by field.views.service_worker, which fills in the static paths. Built on Workbox,
   vendored under static/field/vendor/workbox/ (see field/frontend/vendor.py).

   - A hamlet's page: the copy kept on the phone at once, refreshed behind (its script
     draws everything from the hamlet's data, fetched fresh); /thuc-dia/ itself: network
     first (3 s), else the copy. Only answers the server marks X-Field-Offline are kept
     (masked pages: never ?hien=1, an export or a list). A household address (?ho=) is
     answered with its hamlet's page, which shows the household from the hamlet's data
     kept in IndexedDB.
   - The pages' scripts and styles: the phone's copy at once, refreshed behind.
   - Background Sync "field-outbox": sends the outcomes queued in IndexedDB (outbox.js)
     when the network returns, even with the page closed, where the browser has it. */
/* global importScripts, workbox, FieldOutbox */
importScripts("__WORKBOX__workbox-sw.js");
importScripts("__STATIC__outbox.js");
workbox.setConfig({ modulePathPrefix: "__WORKBOX__", debug: false });
// importScripts is refused after install: load every module now.
workbox.loadModule("workbox-core");
workbox.loadModule("workbox-routing");
workbox.loadModule("workbox-strategies");
workbox.loadModule("workbox-expiration");
workbox.loadModule("workbox-cacheable-response");

var SCOPE = new URL(self.registration.scope).pathname;  // "/thuc-dia/"
var DAYS = Number(new URL(self.location.href).searchParams.get("days") || "7");
var PAGES = "field-pages";
var STATIC = "field-static";

workbox.core.skipWaiting();
workbox.core.clientsClaim();

var onlyMarked = {
  cacheWillUpdate: function (args) {
    var r = args.response;
    return r && r.status === 200 && r.headers.get("X-Field-Offline") === "1" ? r : null;
  },
};

var expiry = new workbox.expiration.ExpirationPlugin({ maxAgeSeconds: DAYS * 86400 });
var pages = new workbox.strategies.NetworkFirst({
  cacheName: PAGES,
  networkTimeoutSeconds: 3,
  plugins: [onlyMarked, expiry],
});
// A hamlet's page is a shell: field.js draws its list, counts and households from the
// hamlet's data, fetched fresh on every open. So the phone's copy opens at once and the
// network refreshes it behind.
var shells = new workbox.strategies.StaleWhileRevalidate({
  cacheName: PAGES,
  plugins: [onlyMarked, expiry],
});

function hamletPage(url) {
  // /thuc-dia/ap/<code>/ with any query but ?hien: the hamlet's page, without its query.
  var m = url.pathname.match(/^(.*\/ap\/[^/]+\/)$/);
  return m && url.pathname.indexOf(SCOPE) === 0 && !url.searchParams.has("hien") ? m[1] : null;
}

workbox.routing.registerRoute(
  function (o) { return o.request.mode === "navigate" && hamletPage(o.url); },
  function (o) {
    var request = new Request(hamletPage(o.url), { credentials: "same-origin" });
    return shells.handle({ event: o.event, request: request }).then(function (r) {
      // Signed out: the server redirected to the sign-in page; a navigation may not be
      // answered with a followed redirect, so redirect it again.
      return r.redirected ? Response.redirect(r.url, 302) : r;
    });
  }
);
workbox.routing.registerRoute(
  function (o) {
    return o.request.mode === "navigate" && o.url.pathname === SCOPE && !o.url.search;
  },
  pages
);
workbox.routing.registerRoute(
  function (o) {
    return o.request.destination && ["script", "style", "image", "font"].indexOf(o.request.destination) >= 0
      && o.url.origin === self.location.origin;
  },
  new workbox.strategies.StaleWhileRevalidate({
    cacheName: STATIC,
    plugins: [new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] })],
  })
);

function tell(message) {
  return self.clients.matchAll({ includeUncontrolled: true }).then(function (clients) {
    clients.forEach(function (c) { c.postMessage(message); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "field-outbox") { return; }
  event.waitUntil(FieldOutbox.flush().then(function (report) {
    return tell({ type: "field-synced", report: report }).then(function () {
      // Still no network: reject, so the browser tries this sync again later.
      if (report.offline) { throw new Error("offline"); }
    });
  }));
});

// The page that registered this worker was loaded before it: keep that page and its
// scripts and styles now, so the hamlet opens offline after one visit.
function keep(cacheName, url, marked) {
  return fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (r) {
    if (r.status !== 200 || (marked && r.headers.get("X-Field-Offline") !== "1")) { return; }
    return caches.open(cacheName).then(function (c) { return c.put(url, r); });
  }).catch(function () {});
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "field-keep") {
    var pagesList = (data.pages || []).map(function (u) {
      var url = new URL(u, self.location.href);
      return hamletPage(url) || (url.pathname === SCOPE ? SCOPE : null);
    }).filter(Boolean);
    event.waitUntil(Promise.all(
      pagesList.map(function (u) { return keep(PAGES, u, true); })
        .concat((data.assets || []).map(function (u) { return keep(STATIC, u, false); }))
    ).then(function () {
      if (event.source) { event.source.postMessage({ type: "field-kept" }); }
    }));
  }
});
