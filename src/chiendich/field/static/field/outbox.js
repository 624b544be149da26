/* The phone's store for the door-to-door pages, shared by the page (field.js) and the
   service worker (sw.js): IndexedDB "chiendich-field" with
     meta     key -> value (user, csrf token, sync url, when the lists were saved)
     hamlets  hamlet code -> the hamlet's data (/thuc-dia/ap/<code>/du-lieu.json, masked)
     outbox   client_id -> an outcome tapped on the phone, in one of four states:
              "queued"   not sent yet ("not sent: N");
              "received" the server answered 202: it has the outcome and is writing it
                         (field/inbox.py); sent again on every flush to learn when it is
                         written (the same id answers 200 then, 202 while it waits);
              "stored"   the server stored it (200/201): kept only until the hamlet's
                         data fetched after that answer, which shows it (settle());
              "refused"  with the server's message, kept until the volunteer dismisses
                         it: never dropped silently.
              Until then the page counts every queued, received or stored outcome in
              the person's, household's and hamlet's progress (field.js).
     changes  client_id -> "changed by someone else" notes the last sync brought back
   and flush(): send the queued outcomes in batches; each answer is per outcome
   (field/offline.py outcomes_sync): 200/201 stored, 202 received while the server's
   database was busy and being written there (field/inbox.py: kept durably by the
   server; "being written" here until it answers 200), 503 or no network (kept, sent
   again later), anything else refused (kept with its message). */
(function (root) {
  "use strict";
  var DB = "chiendich-field";
  var BATCH = 200;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        db.createObjectStore("meta");
        db.createObjectStore("hamlets");
        db.createObjectStore("outbox", { keyPath: "client_id" });
        db.createObjectStore("changes", { keyPath: "client_id" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  // One transaction on `store`; `work(objectStore)` returns an IDBRequest or nothing.
  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var req = work(tx.objectStore(store));
        tx.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  var api = {
    get: function (store, key) { return run(store, "readonly", function (s) { return s.get(key); }); },
    put: function (store, value, key) {
      return run(store, "readwrite", function (s) { return key === undefined ? s.put(value) : s.put(value, key); });
    },
    del: function (store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); },
    all: function (store) { return run(store, "readonly", function (s) { return s.getAll(); }); },
    clear: function (store) { return run(store, "readwrite", function (s) { return s.clear(); }); },
    wipe: function () {
      // Sign-out and expiry: the database and every cache of these pages.
      // Our database and Workbox's (the cache expiry times).
      var gone = Promise.all([DB, "workbox-expiration"].map(function (name) {
        return new Promise(function (resolve) {
          var req = indexedDB.deleteDatabase(name);
          req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
        });
      }));
      var caches_ = root.caches ? root.caches.keys().then(function (keys) {
        return Promise.all(keys.map(function (k) { return root.caches.delete(k); }));
      }) : Promise.resolve();
      return Promise.all([gone, caches_]);
    },
    inState: function (states) {
      return api.all("outbox").then(function (items) {
        return items.filter(function (i) { return states.indexOf(i.state) >= 0; })
          .sort(function (a, b) { return a.recorded_on_phone < b.recorded_on_phone ? -1 : 1; });
      });
    },
    queued: function () { return api.inState(["queued"]); },
    // The hamlet's data fetched from `since` (the phone's clock) on shows every outcome
    // stored before it: those are dropped (a null hamlet: every hamlet's).
    settle: function (hamlet, since) {
      return api.inState(["stored"]).then(function (items) {
        var done = items.filter(function (i) {
          return (hamlet === null || i.hamlet === hamlet) && (i.stored_at || 0) <= since;
        });
        return Promise.all(done.map(function (i) { return api.del("outbox", i.client_id); }));
      });
    },
    // Send what is queued, and ask again about what the server is still writing.
    // Resolves {sent, stored, pending, refused, kept, signedOut, offline, requests}
    // (sent: newly sent and accepted; stored: answered stored; pending: still being
    // written by the server).
    flush: function () {
      var report = { sent: 0, stored: 0, pending: 0, refused: 0, kept: 0, signedOut: null, offline: false, requests: 0 };
      return Promise.all([api.get("meta", "csrf"), api.get("meta", "sync_url"), api.inState(["queued", "received"])])
        .then(function (got) {
          var csrf = got[0], url = got[1], items = got[2];
          if (!url || !items.length) { return report; }
          var batches = [];
          for (var i = 0; i < items.length; i += BATCH) { batches.push(items.slice(i, i + BATCH)); }
          return batches.reduce(function (prev, batch) {
            return prev.then(function (stop) {
              if (stop) { report.kept += batch.length; return true; }
              return send(url, csrf, batch, report);
            });
          }, Promise.resolve(false)).then(function () { return report; });
        });
    },
  };

  function send(url, csrf, batch, report) {
    var body = JSON.stringify({ outcomes: batch.map(function (i) {
      return { client_id: i.client_id, citizen: i.citizen, outcome: i.outcome, reason: i.reason,
               note: i.note, recorded_on_phone: i.recorded_on_phone };
    }) });
    report.requests += 1;
    return fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store", redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf || "" }, body: body,
    }).then(function (response) {
      if (response.status === 403 || response.type === "opaqueredirect") {
        return response.json().catch(function () { return {}; }).then(function (data) {
          report.signedOut = data.message || "";
          report.kept += batch.length;
          return true;  // keep everything; the page says why
        });
      }
      if (!response.ok) { report.kept += batch.length; return true; }
      return response.json().then(function (data) {
        var byId = {};
        batch.forEach(function (i) { byId[i.client_id] = i; });
        return (data.results || []).reduce(function (p, r) {
          return p.then(function () {
            var item = byId[r.client_id];
            if (!item) { return; }
            var fresh = item.state === "queued";
            if (r.status === 202) {
              // The server has it and is writing it: shown "being written" meanwhile.
              if (fresh) { report.sent += 1; }
              report.pending += 1;
              item.state = "received";
              return api.put("outbox", item);
            }
            if (r.status === 200 || r.status === 201) {
              if (fresh) { report.sent += 1; }
              report.stored += 1;
              var note = r.changed_by_other ? api.put("changes", {
                client_id: r.client_id, name: item.name, by: r.changed_by_other.by,
                outcome: r.changed_by_other.outcome, at: r.changed_by_other.at,
              }) : Promise.resolve();
              // Kept (counted in the progress) until the hamlet's next data shows it.
              item.state = "stored";
              item.stored_at = Date.now();
              item.applied = r.applied !== false;
              return note.then(function () { return api.put("outbox", item); });
            }
            if (r.status === 503) { report.kept += 1; return; }
            if (!fresh) {
              // Asked again about an outcome the server already accepted (it writes what
              // it accepted: field/inbox.py), and now refused for a later reason (the
              // assignment was revoked since): it stays accepted, never "refused".
              item.state = "stored";
              item.stored_at = Date.now();
              return api.put("outbox", item);
            }
            report.refused += 1;
            item.state = "refused";
            item.message = r.message || String(r.status);
            return api.put("outbox", item);
          });
        }, Promise.resolve()).then(function () { return false; });
      });
    }, function () {
      report.offline = true;
      report.kept += batch.length;
      return true;
    });
  }

  root.FieldOutbox = api;
})(typeof self !== "undefined" ? self : this);
