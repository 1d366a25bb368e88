// Behaviour of every page, kept out of the HTML so the Content-Security-Policy can refuse all
// inline script: a choice that submits its form at once (the language of the public pages;
// a <noscript> button does it without JavaScript), a field that selects itself when focused
// (a secret shown once, to copy), a print button, and the part of a form that applies to one
// choice only (`data-show-when="type=portability"`): hidden, its fields disabled so they are
// not sent, while another is chosen; without JavaScript it stays, its label saying when.
// And Enter on a checkbox or a radio button ticks it, as Space does: the browsers' implicit
// submission would send the form half filled (Enter on a purpose's box sent the consent log
// for review before anything was ticked). Enter still submits from a text field.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || event.isComposing || !(box instanceof HTMLInputElement)) {
      return;
    }
    if ((box.type === "checkbox" || box.type === "radio") && box.form) {
      event.preventDefault();
      box.click();
    }
  });
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
  document.querySelectorAll("[data-show-when]").forEach(function (element) {
    var rule = element.getAttribute("data-show-when").split("=");
    var form = element.closest("form");
    if (!form) { return; }
    var isInput = element.matches("input, select, textarea");
    var part = isInput ? (element.closest(".field") || element) : element;
    function update() {
      var chosen = form.elements.namedItem(rule[0]);
      var on = chosen !== null && chosen.value === rule[1];
      part.hidden = !on;
      if (isInput) { element.disabled = !on; }
      part.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !on;
      });
    }
    form.addEventListener("change", update);
    update();
  });
})();
