// Follows the build of an answer document on a request's page: polls its progress (a small
// JSON answer, no personal data) and reloads the page once it is ready or has failed, or its
// worker stopped (the page then offers to take it over).
(function () {
  "use strict";
  var bars = document.querySelectorAll("[data-progress-url]");
  bars.forEach(function (bar) {
    var url = bar.getAttribute("data-progress-url");
    var meter = bar.querySelector("progress");
    var note = bar.querySelector("[data-progress-note]");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          if (meter) { meter.value = state.progress; meter.textContent = state.progress + "%"; }
          if (note) { note.textContent = state.progress + "% · " + state.note; }
          if (state.status === "ready" || state.status === "failed" || state.stalled) {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 700);
  });
})();
