/* Every page. What inline event handlers used to do, so the Content-Security-Policy can
   forbid inline scripts: a <select data-autosubmit> (language, day) submits its form when
   it changes. Without JavaScript the form's <noscript> button does the same. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.submit();
    }
  });
})();
