// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Tell people plainly when cookies are off, since sign-in needs one essential cookie.
  var notice = document.getElementById("cookies-off");
  if (notice && !navigator.cookieEnabled) {
    notice.hidden = false;
  }

  // A table wider than the screen scrolls sideways in its own box: keyboard users reach that
  // box with Tab (and scroll it with the arrow keys) when it really scrolls.
  var reachable = function () {
    document.querySelectorAll(".table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && table.hasAttribute("data-scroll-focus")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-scroll-focus");
      }
    });
  };
  reachable();
  window.addEventListener("resize", reachable);

  // Show times in the reader's own timezone.
  // The server writes times in the user's time zone when they chose one (body[data-tz]);
  // otherwise the browser's own zone is the best guess. A rewritten time keeps the server's
  // one format ("Sat 5 Dec 2026, 09:30 CET", or "5 Dec 2026" for a day) so it reads like the
  // times beside it.
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var two = function (n) { return (n < 10 ? "0" : "") + n; };
  var zoneName = function (d) {
    var zone = "";
    try {
      new Intl.DateTimeFormat("en-GB", { timeZoneName: "short" }).formatToParts(d).forEach(function (p) {
        if (p.type === "timeZoneName") { zone = p.value; }
      });
    } catch (e) {
      // An old browser without formatToParts: the time without its zone's name.
    }
    return zone;
  };
  var shown = function (d, dayOnly) {
    var day = d.getDate() + " " + MONTHS[d.getMonth()] + " " + d.getFullYear();
    if (dayOnly) { return day; }
    var text = DAYS[d.getDay()] + " " + day + ", " + two(d.getHours()) + ":" + two(d.getMinutes());
    var zone = zoneName(d);
    return zone ? text + " " + zone : text;
  };
  if (!document.body.hasAttribute("data-tz")) document.querySelectorAll("time[data-unix]").forEach(function (el) {
    var d = new Date(Number(el.getAttribute("data-unix")) * 1000);
    if (!isNaN(d)) {
      el.textContent = shown(d, el.getAttribute("data-format") === "date");
      el.setAttribute("datetime", d.toISOString());
    }
  });

  // Live sync progress over server-sent events; reload when the history is complete.
  var sync = document.querySelector("[data-progress-url]");
  if (sync && window.EventSource) {
    var source = new EventSource(sync.getAttribute("data-progress-url"));
    var show = function (ev) {
      var data = JSON.parse(ev.data);
      var progress = (data.sync && data.sync.progress) || {};
      ["posts_stored", "pages_fetched", "reached"].forEach(function (key) {
        var el = sync.querySelector('[data-field="' + key + '"]');
        if (el && progress[key] !== undefined && progress[key] !== null) {
          el.textContent = key === "reached" ? shown(new Date(progress[key]), true) : progress[key];
        }
      });
    };
    source.addEventListener("progress", show);
    source.addEventListener("done", function () {
      source.close();
      window.location.reload();
    });
  }
})();
