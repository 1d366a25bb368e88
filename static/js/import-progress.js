// Follows a CSV import's dry run or apply (run by a Celery task): polls its progress, a small
// JSON answer with counts only, moves the bar, and reloads the page once the task is done.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-progress-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-import-progress-url");
  var meter = box.querySelector("progress");
  var note = box.querySelector("[data-progress-note]");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (meter) { meter.value = state.percent; meter.textContent = state.percent + "%"; }
        if (note) { note.textContent = state.processed + " / " + state.total; }
        if (state.running) { window.setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
