// Live progress of a running audit: polls its JSON and reloads the page when it is done.
(function () {
  "use strict";
  var box = document.querySelector("[data-audit-url]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-audit-url");
  var field = box.querySelector('[data-field="progress"]');
  var bar = box.querySelector("progress");
  var tick = function () {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (audit) {
        if (field) { field.textContent = audit.progress; }
        if (bar) { bar.value = audit.progress; }
        if (audit.status === "done" || audit.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(tick, 1500);
        }
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  };
  window.setTimeout(tick, 1000);
})();
