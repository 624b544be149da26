/* The day input (web/_day_input.html, core.inputs.DayInput): dd/mm/yyyy typed as text.
   When the page bounds it (data-min, data-max: the campaign's days), a day outside is
   refused before the form is sent, with the page's own message. The server checks again. */
(function () {
  "use strict";
  function iso(text) {
    var m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
    if (m) return m[3] + "-" + ("0" + m[2]).slice(-2) + "-" + ("0" + m[1]).slice(-2);
    m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text.trim());
    return m ? m[1] + "-" + ("0" + m[2]).slice(-2) + "-" + ("0" + m[3]).slice(-2) : null;
  }
  function check(el) {
    var day = iso(el.value), min = el.getAttribute("data-min"), max = el.getAttribute("data-max");
    var outside = day && ((min && day < min) || (max && day > max));
    el.setCustomValidity(outside ? el.getAttribute("data-range-message") || "" : "");
  }
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("input[data-day-input]")) check(el);
  });
})();
