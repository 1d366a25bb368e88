// The retention rule form: the anchor list shows only the anchors of the chosen kind of record
// (the server refuses any other; this only spares the Admin a wrong choice). The anchors come
// in one <optgroup> per kind, labelled as the kind is in the "Applies to" list.
(function () {
  "use strict";
  function follow(anchor) {
    var kind = document.getElementById(anchor.getAttribute("data-follows"));
    if (!kind || kind.tagName !== "SELECT") { return; }
    function show() {
      var chosen = kind.options[kind.selectedIndex] ? kind.options[kind.selectedIndex].text : "";
      var groups = anchor.getElementsByTagName("optgroup");
      var firstVisible = null;
      var selectedVisible = false;
      for (var i = 0; i < groups.length; i++) {
        var visible = groups[i].label === chosen;
        groups[i].hidden = !visible;
        groups[i].disabled = !visible;
        if (visible) {
          for (var j = 0; j < groups[i].children.length; j++) {
            var option = groups[i].children[j];
            if (!firstVisible) { firstVisible = option; }
            if (option.selected) { selectedVisible = true; }
          }
        }
      }
      if (!selectedVisible && firstVisible) { firstVisible.selected = true; }
    }
    kind.addEventListener("change", show);
    show();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var anchors = document.querySelectorAll("select[data-follows]");
    for (var i = 0; i < anchors.length; i++) { follow(anchors[i]); }
  });
})();
