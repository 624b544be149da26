// Polls the job's progress every second while a worker is on it; the numbers come
// from the server, so a reload shows the same bar. When the state changes the page
// reloads to show the report.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var shown = box.getAttribute("data-state");
  var bar = document.getElementById("bar");
  var done = document.getElementById("done");
  var total = document.getElementById("total");
  var state = document.getElementById("state");
  // Grouped with dots, as the campaign writes numbers (1.234.567).
  var sep = document.documentElement.lang === "en" ? "," : ".";
  function group(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { return; }
        if (p.state !== shown) { window.location.reload(); return; }
        if (bar) {
          bar.max = p.total || Math.max(p.done, 1);
          bar.value = p.done;
        }
        if (done) { done.textContent = group(p.done); }
        if (total) { total.textContent = p.total ? group(p.total) : "—"; }
        if (state) { state.textContent = p.state_label; }
      })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { window.setTimeout(tick, 1000); });
  }
  window.setTimeout(tick, 1000);
})();
