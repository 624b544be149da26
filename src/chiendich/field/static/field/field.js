/* The door-to-door pages on a phone, offline first (issue 13).

   Every /thuc-dia/ page: registers the service worker (sw.js), keeps the sign-in's user
   and CSRF token in IndexedDB (outbox.js), sends queued outcomes on open, on "online" and
   through Background Sync, shows "not sent: N", and wipes the phone's storage on sign-out
   and after the offline days.

   A hamlet's page (#field-app): renders the hamlet from its data (du-lieu.json, masked)
   kept in IndexedDB, then from the network; search and filter; a household's people and
   the outcome buttons (?ho=) without loading a page; an outcome tapped goes into the
   outbox with a UUID made here and the phone's time, and is sent when it can be. Until
   the hamlet's data shows it, an outcome tapped here counts at once in the person's,
   household's and hamlet's progress, whether it is not sent yet, being written by the
   server (it answered 202: its database was busy) or just stored. */
(function () {
  "use strict";
  var O = window.FieldOutbox;
  var config = document.getElementById("field-config");
  if (!config || !O || !window.indexedDB) { return; }
  var cfg = config.dataset;
  var app = document.getElementById("field-app");
  var S = {};
  try { S = JSON.parse(document.getElementById("field-strings").textContent); } catch (e) { S = {}; }
  var lang = document.documentElement.lang === "en" ? "en-US" : "vi-VN";
  var DAY_MS = 86400000;
  var state = { data: null, hamlets: {}, queue: [], received: [], stored: [], refused: [], changes: [], signedOut: null, expired: false };

  function t(key, args) {
    var s = S[key] || key;
    Object.keys(args || {}).forEach(function (k) { s = s.split("%(" + k + ")s").join(String(args[k])); });
    return s;
  }
  function num(n) { return new Intl.NumberFormat(lang).format(n); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function fold(text) {
    return String(text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // --- the phone's storage -------------------------------------------------------------

  function prepare() {
    return Promise.all([O.get("meta", "user"), O.get("meta", "saved_at")]).then(function (got) {
      var user = got[0], saved = got[1];
      var days = Number(cfg.days || 7);
      if (user && String(user) !== String(cfg.user)) {
        return O.wipe();  // another account used this phone: nothing of theirs stays
      }
      if (saved && Date.now() - saved > days * DAY_MS) {
        state.expired = true;
        // The lists and pages go; outcomes not sent yet stay (they are the work done).
        return Promise.all([O.clear("hamlets"), O.del("meta", "saved_at"), clearCaches(),
                            O.settle(null, Date.now())]);
      }
    }).then(function () {
      return Promise.all([
        O.put("meta", cfg.user, "user"), O.put("meta", csrf(), "csrf"),
        O.put("meta", cfg.syncUrl, "sync_url"),
      ]);
    });
  }
  function clearCaches() {
    if (!window.caches) { return Promise.resolve(); }
    return caches.keys().then(function (keys) {
      return Promise.all(keys.map(function (k) { return caches.delete(k); }));
    });
  }
  var wiping = false;  // signing out: nothing more is written
  function wipeAll() {
    var unregister = navigator.serviceWorker ? navigator.serviceWorker.getRegistrations()
      .then(function (regs) { return Promise.all(regs.map(function (r) { return r.unregister(); })); })
      : Promise.resolve();
    return Promise.all([O.wipe(), unregister]).catch(function () {});
  }

  // Sign-out: warn when outcomes are not sent, then leave nothing on the phone.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || new URL(form.action, location.href).pathname !== cfg.logoutUrl) { return; }
    event.preventDefault();
    O.queued().catch(function () { return []; }).then(function (queued) {
      if (queued.length && !window.confirm(t("confirm_signout", { n: num(queued.length) }))) { return; }
      wiping = true;
      wipeAll().then(function () { form.submit(); });
    });
  }, true);

  // --- sending -------------------------------------------------------------------------

  var flushing = null, again = false;
  function flush() {
    if (wiping) { return Promise.resolve(); }
    if (flushing) { again = true; return flushing; }
    setStatus(t("sending"));
    flushing = O.flush().then(function (report) {
      state.signedOut = report.signedOut;
      return afterSync(report);
    }, function () {}).then(function () {
      flushing = null;
      if (again) { again = false; return flush(); }
    });
    return flushing;
  }
  function afterSync(report) {
    return loadQueue().then(function () {
      render();
      recheckLater();
      if (report && report.stored && app) { return loadFresh(); }
      markFresh();
    });
  }
  // Outcomes the server is still writing (it answered 202) are asked about again after
  // 2, 4, 8, 16, 32 and then every 60 seconds, until it answers "stored".
  var recheckTries = 0, recheckTimer = null;
  function recheckLater() {
    if (!state.received.length || wiping) { recheckTries = 0; return; }
    if (recheckTimer) { return; }
    var wait = Math.min(2000 * Math.pow(2, recheckTries++), 60000);
    recheckTimer = setTimeout(function () {
      recheckTimer = null;
      if (navigator.onLine) { flush(); } else { recheckLater(); }
    }, wait);
  }
  function requestSync() {
    if (navigator.serviceWorker && window.SyncManager) {
      navigator.serviceWorker.ready.then(function (reg) {
        return reg.sync.register("field-outbox");
      }).catch(function () {});
    }
    return flush();
  }
  function loadQueue() {
    return Promise.all([O.all("outbox"), O.all("changes")]).then(function (got) {
      state.queue = got[0].filter(function (i) { return i.state === "queued"; });
      state.received = got[0].filter(function (i) { return i.state === "received"; });
      state.stored = got[0].filter(function (i) { return i.state === "stored"; });
      state.refused = got[0].filter(function (i) { return i.state === "refused"; });
      state.changes = got[1];
    });
  }

  // --- the hamlet's data -------------------------------------------------------------------

  function loadLocal() {
    if (!app) {
      // The home page: the hamlets kept on the phone, for their progress.
      state.hamlets = {};
      if (!document.querySelector("ul.tiles li[data-hamlet]")) { return Promise.resolve(); }
      return Promise.all(Array.prototype.map.call(document.querySelectorAll("ul.tiles li[data-hamlet]"), function (li) {
        return O.get("hamlets", li.dataset.hamlet).then(function (data) {
          if (data) { state.hamlets[li.dataset.hamlet] = data; }
        });
      }));
    }
    return O.get("hamlets", app.dataset.hamlet).then(function (data) {
      if (data) { state.data = data; }
    });
  }
  function loadFresh() {
    if (!app) { return Promise.resolve(); }
    app.dataset.fresh = "0";
    var asked = Date.now();  // the data answered shows every outcome stored before this
    return fetch(app.dataset.dataUrl, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (response) {
        if (response.status === 404) {
          // The hamlet is no longer assigned to this volunteer: nothing of it stays here.
          state.data = null;
          state.revoked = true;
          return Promise.all([
            O.del("hamlets", app.dataset.hamlet), O.settle(app.dataset.hamlet, Date.now()),
            forgetPage(app.dataset.hamletUrl),
          ]).then(function () {
            document.getElementById("households").textContent = "";
            render();
          });
        }
        if (!response.ok) {
          if (response.type === "opaqueredirect" || response.status === 403) { state.signedOut = t("signed_out"); }
          else if (response.status >= 500) { retryFresh(); }  // busy: the phone's copy stays shown
          render();
          return;
        }
        // A page kept on the phone may hold the token of an earlier sign-in: the data's is fresh.
        var token = response.headers.get("X-CSRFToken");
        if (token) { O.put("meta", token, "csrf"); }
        return response.json().then(function (data) {
          if (wiping) { return; }
          data.saved_on_phone = Date.now();
          state.data = data;
          return Promise.all([O.put("hamlets", data, app.dataset.hamlet), O.put("meta", Date.now(), "saved_at"),
                              O.settle(app.dataset.hamlet, asked)])
            .then(loadQueue)
            .then(function () { freshTries = 0; render(); markFresh(); });
        });
      }, function () { render(); retryFresh(); });
  }
  // The home page keeps the user's hamlets on the phone (their pages through the service
  // worker, their data here), so a hamlet never opened yet also works with no network;
  // not for a list longer than KEEP_HAMLETS (an officer's whole district: those open
  // one by one). A copy younger than an hour is not fetched again (each open of a
  // hamlet refreshes its own).
  var KEEP_HAMLETS = 10, KEEP_FRESH_MS = 3600000;
  function homeTiles() {
    var tiles = document.querySelectorAll("ul.tiles li[data-hamlet]");
    return !app && tiles.length <= KEEP_HAMLETS ? Array.prototype.slice.call(tiles) : [];
  }
  // A hamlet kept on the phone that the home page no longer lists is asked for again: the
  // server answers 404 when it is no longer the user's (then nothing of it stays here),
  // else the data (a home page kept from before the hamlet was assigned).
  function forgetRevoked() {
    var listed = {};
    Array.prototype.forEach.call(document.querySelectorAll("ul.tiles li[data-hamlet]"), function (li) {
      listed[li.dataset.hamlet] = true;
    });
    return O.all("hamlets").then(function (all) {
      return Promise.all(all.filter(function (d) { return d && d.hamlet && !listed[d.hamlet.code]; })
        .map(function (d) {
          var code = d.hamlet.code;
          var url = cfg.scope + "ap/" + encodeURIComponent(code) + "/";
          return fetch(url + "du-lieu.json", { credentials: "same-origin", cache: "no-store", redirect: "manual" })
            .then(function (response) {
              if (response.status !== 404) { return; }
              delete state.hamlets[code];
              return Promise.all([O.del("hamlets", code), O.settle(code, Date.now()), forgetPage(url)]);
            }).catch(function () {});
        }));
    });
  }
  function forgetPage(path) {
    if (!window.caches) { return Promise.resolve(); }
    var page = new URL(path, location.href).href;
    return caches.keys().then(function (keys) {
      return Promise.all(keys.map(function (k) { return caches.open(k).then(function (c) { return c.delete(page); }); }));
    });
  }
  function keepHamlets() {
    return Promise.all(homeTiles().map(function (li) {
      var kept = state.hamlets[li.dataset.hamlet];
      if (kept && kept.saved_on_phone && Date.now() - kept.saved_on_phone < KEEP_FRESH_MS) { return null; }
      return fetch(li.dataset.dataUrl, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
        .then(function (response) {
          if (!response.ok) { return null; }
          return response.json().then(function (data) {
            if (wiping) { return; }
            data.saved_on_phone = Date.now();
            state.hamlets[li.dataset.hamlet] = data;
            return Promise.all([O.put("hamlets", data, li.dataset.hamlet), O.put("meta", Date.now(), "saved_at")]);
          });
        }).catch(function () {});
    }).concat([navigator.onLine ? forgetRevoked() : null])).then(function () {
      document.documentElement.dataset.hamletsKept = "1";
      render();
    });
  }
  // A weak signal drops requests: the fresh copy is asked for again after 2, 4, 8, 16
  // and 32 seconds (and on reconnect, and on every page open); the phone's copy stays shown.
  var freshTries = 0;
  function retryFresh() {
    if (freshTries >= 5 || wiping) { return; }
    setTimeout(function () { if (navigator.onLine) { loadFresh(); } }, 2000 * Math.pow(2, freshTries++));
  }
  function markFresh() {
    if (app) { app.dataset.fresh = state.queue.length ? "0" : "1"; }
  }

  // The person's status with the outcomes the hamlet's data does not show yet applied:
  // not sent, being written by the server, or stored since the data was fetched (an
  // outcome stored but not deciding, under the conflict rule, changes nothing).
  var DONE_OUTCOMES = { activated_l1: 1, not_eligible: 1 };
  function queuedFor(id) {
    return state.queue.filter(function (i) { return i.citizen === id; });
  }
  function writingFor(id) {
    return state.received.filter(function (i) { return i.citizen === id; });
  }
  function ownFor(id) {
    return state.queue.concat(state.received, state.stored.filter(function (i) { return i.applied !== false; }))
      .filter(function (i) { return i.citizen === id; })
      .sort(function (a, b) { return a.recorded_on_phone < b.recorded_on_phone ? -1 : 1; });
  }
  function personStatus(p) {
    var q = ownFor(p.id);
    if (!q.length) { return p.status; }
    var last = q[q.length - 1].outcome;
    return DONE_OUTCOMES[last] ? "done" : last === "absent" ? "revisit" : "todo";
  }
  function householdStatus(h) {
    var s = h.people.map(personStatus);
    return s.indexOf("todo") >= 0 ? "todo" : s.indexOf("revisit") >= 0 ? "revisit" : "done";
  }
  function statusLabel(value) {
    var option = document.querySelector("#search select option[value='" + value + "']");
    return option ? option.textContent : value;
  }

  // --- rendering ---------------------------------------------------------------------------

  function setStatus(text, cls) {
    var node = document.getElementById("sync-status");
    if (node) { node.textContent = text; node.className = "sync " + (cls || ""); }
  }
  function renderStatus() {
    var n = state.queue.length, writing = state.received.length;
    var node = document.getElementById("sync-status");
    if (node) { node.dataset.unsent = String(n); node.dataset.writing = String(writing); }
    var more = writing ? " · " + t("pending", { n: num(writing) }) : "";
    if (n) {
      setStatus(t("unsent", { n: num(n) }) + more + (navigator.onLine ? "" : " · " + t("offline")), "unsent");
    } else if (writing) {
      setStatus(t("all_sent") + more, "sent");
    } else {
      setStatus(t("all_sent"), "sent");
    }
  }
  function renderNotices() {
    var box = document.getElementById("notices");
    if (!box) { return; }
    box.textContent = "";
    if (state.expired) { box.appendChild(el("p", { class: "notice", text: t("expired", { n: cfg.days }) })); }
    if (state.revoked) { box.appendChild(el("p", { class: "notice error", id: "revoked", text: t("revoked") })); }
    if (state.signedOut !== null && state.signedOut !== undefined) {
      box.appendChild(el("p", { class: "notice error", id: "signed-out", text: state.signedOut || t("signed_out") }));
    }
    if (state.refused.length) {
      var list = el("ul", { id: "refused", class: "notice error" });
      state.refused.forEach(function (i) {
        var button = el("button", { type: "button", "data-dismiss": i.client_id, text: t("dismiss") });
        list.appendChild(el("li", {}, [el("span", { text: i.name + ": " + i.label + " · " + i.message + " " }), button]));
      });
      box.appendChild(el("p", { class: "notice-title", text: t("refused") }));
      box.appendChild(list);
    }
    if (state.changes.length) {
      var changes = el("ul", { id: "changed", class: "notice" });
      state.changes.forEach(function (c) {
        changes.appendChild(el("li", { text: t("changed_line", { name: c.name, by: c.by, outcome: c.outcome, at: c.at }) }));
      });
      var ok = el("button", { type: "button", "data-dismiss-changes": "1", text: t("dismiss") });
      box.appendChild(el("p", { class: "notice-title", text: t("changed") }));
      box.appendChild(changes);
      box.appendChild(ok);
    }
  }
  // A hamlet's progress with the phone's own outcomes applied (households done, people left).
  function progressText(d) {
    var done = d.households.filter(function (h) { return householdStatus(h) === "done"; }).length;
    var left = 0;
    d.households.forEach(function (h) { h.people.forEach(function (p) { if (personStatus(p) !== "done") { left += 1; } }); });
    return t("progress", { done: num(done), total: num(d.households.length), left: num(left) });
  }
  // The home page: a hamlet kept on the phone with outcomes tapped here that its data does
  // not show yet (not sent, being written, just stored) shows its progress with them
  // counted; the server's figure stays for the others.
  function renderHomeProgress() {
    var own = {};
    state.queue.concat(state.received, state.stored).forEach(function (i) { own[i.hamlet] = true; });
    Array.prototype.forEach.call(document.querySelectorAll("ul.tiles li[data-hamlet]"), function (li) {
      var d = state.hamlets[li.dataset.hamlet];
      if (!d || !own[li.dataset.hamlet]) { return; }
      var node = li.querySelector("[data-progress]");
      if (!node) {
        node = el("small", { class: "st", "data-progress": "" });
        li.querySelector("a").appendChild(node);
      }
      node.textContent = progressText(d);
      node.dataset.phone = "1";
    });
  }
  function renderProgress() {
    var d = state.data;
    var node = document.getElementById("progress");
    if (!d || !node) { return; }
    var activated = d.counts ? d.counts.activated : null;
    node.textContent = progressText(d);
    if (activated !== null) {
      var strong = el("strong", { id: "activated", text: num(activated) });
      node.appendChild(document.createTextNode(" · " + (S.activated || "") + " "));
      node.appendChild(strong);
    }
  }
  function renderList() {
    var d = state.data, list = document.getElementById("households");
    if (!d || !list) { return; }
    var form = document.getElementById("search");
    var q = fold(form.q.value), loc = form.loc.value;
    list.textContent = "";
    var shown = d.households.filter(function (h) {
      if (loc && householdStatus(h) !== loc) { return false; }
      if (!q) { return true; }
      return [h.code, h.head].concat(h.people.map(function (p) { return p.name; }))
        .some(function (s) { return fold(s).indexOf(q) >= 0; });
    });
    shown.forEach(function (h) {
      var status = householdStatus(h);
      var waiting = h.people.some(function (p) { return queuedFor(p.id).length || writingFor(p.id).length; });
      var who = el("span", {}, [el("strong", { text: h.head }),
        el("small", { class: "who", text: t("household") + " " + h.code + " · " + h.address })]);
      var right = el("small", { class: "st", text: statusLabel(status) + (waiting ? " ⏳" : "") });
      list.appendChild(el("li", { class: "hh-" + status }, [el("a", { href: "?ho=" + encodeURIComponent(h.code) }, [who, right])]));
    });
    if (!shown.length) { list.appendChild(el("li", { class: "meta", text: t("none") })); }
    var revisit = document.getElementById("revisit");
    if (revisit) {
      var rows = [];
      d.households.forEach(function (h) {
        h.people.forEach(function (p) { if (personStatus(p) === "revisit") { rows.push([p, h]); } });
      });
      if (rows.length) {
        revisit.textContent = "";
        rows.forEach(function (r) {
          revisit.appendChild(el("li", {}, [el("a", { href: "?ho=" + encodeURIComponent(r[1].code), text: r[0].name }),
            document.createTextNode(" · " + t("household") + " " + r[1].code)]));
        });
      }
    }
  }
  function renderHousehold(code) {
    var view = document.getElementById("household-view");
    var d = state.data;
    var h = d && d.households.filter(function (x) { return x.code === code; })[0];
    // What the volunteer is typing or choosing survives a redraw (a sync just ended).
    var typed = {};
    Array.prototype.forEach.call(view.querySelectorAll("[data-citizen]"), function (box) {
      typed[box.dataset.citizen] = [box.querySelector("select[name=reason]").value,
                                    box.querySelector("input[name=note]").value];
    });
    var focused = document.activeElement && view.contains(document.activeElement)
      ? [document.activeElement.closest("[data-citizen]"), document.activeElement.name] : null;
    view.textContent = "";
    if (!h) { return false; }
    view.appendChild(el("nav", { class: "crumbs" }, [el("a", { href: app.dataset.hamletUrl, "data-back": "1", text: app.dataset.hamletName })]));
    view.appendChild(el("h2", { text: t("household") + " " + h.code }));
    view.appendChild(el("p", { class: "meta", text: t("head") + ": " + h.head + " · " + h.address }));
    if (d.can_unmask && navigator.onLine) {
      // The server's page, audited and never kept on the phone.
      view.appendChild(el("p", {}, [el("a", { class: "big", href: "?ho=" + encodeURIComponent(h.code) + "&hien=1", text: t("show_numbers") })]));
    }
    h.people.forEach(function (p) {
      var status = personStatus(p), waiting = queuedFor(p.id), writing = writingFor(p.id);
      var section = el("section", { class: "person" + (status === "done" ? " done" : ""), id: "c" + p.id }, [
        el("h3", { text: p.name }),
        el("div", { class: "meta", text: [p.born, p.id_number, p.phone].filter(Boolean).join(" · ") }),
      ]);
      var badges = el("div", {}, [el("span", { class: "badge", text: p.label })]);
      waiting.forEach(function (i) {
        badges.appendChild(el("span", { class: "badge unsent", text: t("queued", { outcome: i.label }) }));
      });
      writing.forEach(function (i) {
        badges.appendChild(el("span", { class: "badge writing", text: t("writing", { outcome: i.label }) }));
      });
      if (p.last) {
        // Someone else's visit is named: after a sync the volunteer sees who changed what.
        var by = p.last.mine || !p.last.by ? "" : " · " + t("changed") + ": " + p.last.by;
        badges.appendChild(el("span", { class: "meta", text: " " + t("last_visit") + ": " + p.last.label + ", " + p.last.day + by }));
      }
      section.appendChild(badges);
      if (p.status !== "done") {
        var box = el("div", { class: "outcomes", "data-citizen": String(p.id) });
        d.outcomes.forEach(function (o, n) {
          if (o.value === "not_eligible") { return; }
          box.appendChild(el("button", { type: "button", "data-outcome": o.value, class: n === 0 ? "win" : "", text: o.label }));
        });
        var select = el("select", { name: "reason", "aria-label": t("reason") }, [el("option", { value: "", text: t("reason") })]);
        d.reasons.forEach(function (r) { select.appendChild(el("option", { value: r.value, text: r.label })); });
        box.appendChild(el("div", { class: "wide" }, [select, el("button", { type: "button", "data-outcome": "not_eligible", text: t("not_eligible") })]));
        box.appendChild(el("div", { class: "wide" }, [el("input", { name: "note", maxlength: "300", placeholder: t("note"), "aria-label": t("note") })]));
        var before = typed[String(p.id)];
        if (before) { select.value = before[0]; box.querySelector("input[name=note]").value = before[1]; }
        section.appendChild(box);
      }
      view.appendChild(section);
    });
    if (focused && focused[0] && focused[1]) {
      var again = view.querySelector("[data-citizen='" + focused[0].dataset.citizen + "'] [name=" + focused[1] + "]");
      if (again) { again.focus(); }
    }
    return true;
  }
  function render() {
    renderStatus();
    renderNotices();
    if (!app) { renderHomeProgress(); return; }
    renderProgress();
    renderList();
    var code = new URLSearchParams(location.search).get("ho");
    var list = document.getElementById("list-view"), view = document.getElementById("household-view");
    var showing = code !== null && renderHousehold(code);
    list.hidden = !!showing;
    view.hidden = !showing;
  }

  // --- what the volunteer does ---------------------------------------------------------------

  function tap(button) {
    var box = button.closest("[data-citizen]");
    var id = Number(box.dataset.citizen);
    var outcome = button.dataset.outcome;
    var reason = box.querySelector("select[name=reason]").value;
    var note = box.querySelector("input[name=note]").value.trim();
    if (outcome === "not_eligible" && !reason) { box.querySelector("select[name=reason]").focus(); return; }
    var person = null;
    state.data.households.forEach(function (h) { h.people.forEach(function (p) { if (p.id === id) { person = p; } }); });
    var label = state.data.outcomes.filter(function (o) { return o.value === outcome; })[0].label;
    var item = {
      client_id: uuid(), citizen: id, outcome: outcome, reason: outcome === "not_eligible" ? reason : "",
      note: note, recorded_on_phone: new Date().toISOString(), hamlet: app.dataset.hamlet,
      name: person ? person.name : "", label: label, state: "queued",
    };
    app.dataset.fresh = "0";
    box.querySelector("select[name=reason]").value = "";
    box.querySelector("input[name=note]").value = "";
    O.put("outbox", item).then(loadQueue).then(function () {
      render();
      requestSync();
    });
  }

  function go(url) {
    history.pushState({}, "", url);
    render();
    window.scrollTo(0, 0);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target || (app && app.contains(target))) { return; }
    var dismiss = target.closest("#notices button[data-dismiss]");
    if (dismiss) { O.del("outbox", dismiss.dataset.dismiss).then(loadQueue).then(render); return; }
    if (target.closest("#notices button[data-dismiss-changes]")) { O.clear("changes").then(loadQueue).then(render); }
  });
  if (app) {
    app.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target : null;
      if (!target) { return; }
      var button = target.closest("button[data-outcome]");
      if (button && state.data) { event.preventDefault(); tap(button); return; }
      var dismiss = target.closest("button[data-dismiss]");
      if (dismiss) { O.del("outbox", dismiss.dataset.dismiss).then(loadQueue).then(render); return; }
      if (target.closest("button[data-dismiss-changes]")) { O.clear("changes").then(loadQueue).then(render); return; }
      var link = target.closest("a[href]");
      var href = link ? link.getAttribute("href") : "";
      if (link && state.data && ((href.indexOf("?ho=") === 0 && href.indexOf("hien=") < 0) || link.dataset.back)) {
        event.preventDefault();
        go(link.getAttribute("href"));
      }
    });
    var search = document.getElementById("search");
    search.addEventListener("submit", function (event) { if (state.data) { event.preventDefault(); renderList(); } });
    search.addEventListener("input", function () { if (state.data) { renderList(); } });
    search.addEventListener("change", function () { if (state.data) { renderList(); } });
    window.addEventListener("popstate", render);
  }

  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", renderStatus);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "field-kept") {
        document.documentElement.dataset.offlineReady = "1";
      }
      if (event.data && event.data.type === "field-synced") {
        state.signedOut = event.data.report.signedOut;
        afterSync(event.data.report);
      }
    });
  }
  // Registered once the page has drawn and fetched what it needs: on a first open over a
  // slow network, the worker and Workbox (27 KB) do not compete with the hamlet's data.
  function registerWorker() {
    if (!navigator.serviceWorker || wiping) { return; }
    navigator.serviceWorker.register(cfg.swUrl + "?days=" + encodeURIComponent(cfg.days || "7"), { scope: cfg.scope })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (reg) {
        var assets = Array.prototype.map.call(
          document.querySelectorAll("script[src], link[rel=stylesheet]"),
          function (n) { return n.src || n.href; });
        var pages = [location.href, cfg.scope].concat(homeTiles().map(function (li) {
          return li.querySelector("a").href;
        }));
        reg.active.postMessage({ type: "field-keep", pages: pages, assets: assets });
      })
      .catch(function () {});
  }

  prepare()
    .then(loadLocal)
    .then(loadQueue)
    .then(function () {
      render();
      if (app) { app.dataset.ready = "1"; app.dataset.readyAt = String(Math.round(performance.now())); }
      return Promise.all([loadFresh(), flush(), app ? null : keepHamlets()]);
    })
    .catch(function () { render(); })
    .then(registerWorker);
})();
