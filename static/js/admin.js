// Corrections to markup the Django admin's own scripts write, kept to what ARIA and the labels
// need. They run on `load`, after the admin's widgets have drawn themselves (this script is
// deferred, so its handler comes after theirs).
(function () {
  "use strict";
  window.addEventListener("load", function () {
    // The filter_horizontal widget (SelectFilter2.js) names its magnifier icon with an
    // aria-label on a bare <span>, which ARIA does not allow: an image it is.
    document.querySelectorAll(".selector .search-label-icon[aria-label]").forEach(function (icon) {
      if (!icon.hasAttribute("role")) { icon.setAttribute("role", "img"); }
    });
    // The same widget renames the field's <select> to `<id>_from`, leaving the row's label
    // pointing at an id no longer on the page: it names the list of choices instead.
    document.querySelectorAll("select.filtered[id$='_from']").forEach(function (select) {
      var field = select.id.slice(0, -"_from".length);
      document.querySelectorAll("label[for='" + field + "']").forEach(function (label) {
        label.htmlFor = select.id;
      });
    });
  });
  // A split date and time (AdminSplitDateTime) writes "Date:" and "Time:" as bare words before
  // its two inputs, neither of which has a label: the words become their labels. (Its template
  // cannot be overridden in templates/admin/: Django's form renderer reads only the apps'.)
  document.querySelectorAll("p.datetime > input[id]").forEach(function (input) {
    var words = input.previousSibling;
    if (!words || words.nodeType !== Node.TEXT_NODE || !words.textContent.trim()) { return; }
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = words.textContent.trim();
    words.replaceWith(label, " ");
  });
})();
