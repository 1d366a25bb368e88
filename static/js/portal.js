// Behaviour of every page, kept out of the HTML so the Content-Security-Policy can refuse all
// inline script: a choice that submits its form at once (the language of the public pages;
// a <noscript> button does it without JavaScript), a field that selects itself when focused
// (a secret shown once, to copy), and a print button.
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.submit(); }
    });
  });
  document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
