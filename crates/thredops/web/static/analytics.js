// Analytics pages: suggest the browser's time zone, print the report. No inline script (CSP).
(function () {
  "use strict";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  if (zone) {
    document.querySelectorAll("[data-tz-browser]").forEach(function (el) { el.textContent = zone; });
    document.querySelectorAll("[data-tz-suggest]").forEach(function (el) { el.hidden = false; });
    var form = document.getElementById("tz-form");
    if (form) {
      var hint = document.getElementById("tz-browser");
      if (hint) { hint.hidden = false; }
      var input = form.querySelector("[name=timezone]");
      // Pre-fill only when the user has never chosen one: the browser's zone is the default.
      if (input && form.getAttribute("data-unset") === "1" && !input.value) { input.value = zone; }
    }
  }
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
