// Analytics pages: suggest the browser's time zone, print the report, show chart values on
// hover and keyboard focus. No inline script (CSP).
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
  // Chart tooltips: every point or bar carries data-label and data-value (and a <title> for
  // browsers without script). Pointer: the nearest mark horizontally. Keyboard: Tab to the
  // chart, then the arrow keys, Home and End.
  document.querySelectorAll("figure.an-chart").forEach(function (fig) {
    var svg = fig.querySelector("svg.chart-line, svg.chart-bars");
    var tip = fig.querySelector(".chart-tip");
    if (!svg || !tip) { return; }
    var marks = Array.prototype.slice.call(svg.querySelectorAll("[data-value]"));
    if (!marks.length) { return; }
    var series = svg.getAttribute("data-series") || "";
    var current = -1;
    svg.setAttribute("tabindex", "0");
    var show = function (i) {
      if (i < 0 || i >= marks.length) { return; }
      if (current >= 0) { marks[current].classList.remove("active"); }
      current = i;
      var mark = marks[i];
      mark.classList.add("active");
      tip.textContent = mark.getAttribute("data-label") + " · " + series + ": " + mark.getAttribute("data-value");
      tip.hidden = false;
      var box = mark.getBoundingClientRect();
      var frame = fig.getBoundingClientRect();
      var half = tip.offsetWidth / 2;
      var x = box.left + box.width / 2 - frame.left;
      // Keep the tooltip inside the figure, so the page never scrolls sideways.
      x = Math.max(half, Math.min(frame.width - half, x));
      tip.style.left = x + "px";
      tip.style.top = (box.top - frame.top) + "px";
    };
    var hide = function () {
      tip.hidden = true;
      if (current >= 0) { marks[current].classList.remove("active"); }
      current = -1;
    };
    svg.addEventListener("pointermove", function (ev) {
      var best = -1;
      var distance = Infinity;
      marks.forEach(function (mark, i) {
        var box = mark.getBoundingClientRect();
        var d = Math.abs(box.left + box.width / 2 - ev.clientX);
        if (d < distance) { distance = d; best = i; }
      });
      show(best);
    });
    svg.addEventListener("pointerleave", hide);
    svg.addEventListener("focus", function () { show(current >= 0 ? current : marks.length - 1); });
    svg.addEventListener("blur", hide);
    svg.addEventListener("keydown", function (ev) {
      var keys = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: marks.length - 1 };
      if (ev.key === "Escape") { hide(); return; }
      if (Object.prototype.hasOwnProperty.call(keys, ev.key)) {
        ev.preventDefault();
        show(Math.max(0, Math.min(marks.length - 1, keys[ev.key])));
      }
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
