// Behaviour of every page, kept out of the HTML so the Content-Security-Policy can refuse all
// inline script: a choice that submits its form at once (the language of the public pages;
// a <noscript> button does it without JavaScript), and a print button.
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.submit(); }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
