// Schedule page: arrow-key navigation between days or hours, drag-and-drop rescheduling (over
// the same reschedule form the post page posts), and an "add another slot" button for the slots
// editor. Everything here is an enhancement: without it, each post's page moves it and the
// editor's blank rows add slots. No inline code (strict CSP).
(function () {
  "use strict";

  function setupKeys(table) {
    var cells = Array.prototype.slice.call(table.querySelectorAll("[data-day]"));
    if (!cells.length) { return; }
    var step = parseInt(table.getAttribute("data-step"), 10) || 7;
    var current = cells.findIndex(function (c) { return c.classList.contains("pub-today"); });
    if (current < 0) { current = 0; }
    cells[current].tabIndex = 0;
    table.addEventListener("keydown", function (e) {
      var moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -step, ArrowDown: step };
      if (!(e.key in moves)) { return; }
      var next = current + moves[e.key];
      if (next < 0 || next >= cells.length) { return; }
      e.preventDefault();
      cells[current].tabIndex = -1;
      current = next;
      cells[current].tabIndex = 0;
      cells[current].focus();
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The wall-clock time a post dropped on `target` gets: the target's day, the target's hour in
  // the time grid (keeping the post's minutes), else the post's own time (09:00 for drafts).
  function targetTime(target, chip) {
    var time = chip.getAttribute("data-time") || "09:00";
    var hour = target.getAttribute("data-drop-hour");
    if (hour !== null) { time = pad(parseInt(hour, 10)) + ":" + time.slice(3, 5); }
    return target.getAttribute("data-drop-date") + "T" + time;
  }

  // Reads the reason out of the post page the server answers with when it refuses a move.
  function refusal(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var alert = doc.querySelector(".alert-error, .field-error");
    return alert ? alert.textContent.trim() : "The post could not be moved.";
  }

  function setupDrag(root) {
    var status = root.querySelector("[data-cal-status]");
    var csrf = root.getAttribute("data-csrf");
    var dragged = null;
    document.querySelectorAll("[data-post][draggable]").forEach(function (chip) {
      chip.addEventListener("dragstart", function (e) {
        dragged = chip;
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", chip.getAttribute("data-post"));
        chip.classList.add("pub-dragging");
      });
      chip.addEventListener("dragend", function () {
        chip.classList.remove("pub-dragging");
        dragged = null;
      });
    });
    root.querySelectorAll("[data-drop-date]").forEach(function (target) {
      target.addEventListener("dragover", function (e) {
        if (!dragged) { return; }
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        target.classList.add("pub-drop");
      });
      target.addEventListener("dragleave", function () { target.classList.remove("pub-drop"); });
      target.addEventListener("drop", function (e) {
        e.preventDefault();
        target.classList.remove("pub-drop");
        var chip = dragged;
        if (!chip) { return; }
        var when = targetTime(target, chip);
        var body = new URLSearchParams({ csrf: csrf, local_time: when });
        status.textContent = "Moving the post to " + when.replace("T", " ") + "…";
        fetch("/app/schedule/posts/" + encodeURIComponent(chip.getAttribute("data-post")) + "/reschedule", {
          method: "POST", credentials: "same-origin", body: body
        }).then(function (r) {
          return r.text().then(function (html) {
            if (!r.ok) { throw new Error(refusal(html)); }
            status.textContent = "Moved to " + when.replace("T", " ") + ".";
            window.location.reload();
          });
        }).catch(function (err) {
          status.textContent = err.message;
          status.classList.add("field-error");
        });
      });
    });
  }

  function setupSlots(form) {
    var add = form.querySelector("[data-add-slot]");
    var rows = form.querySelector("[data-slot-rows]");
    var blank = form.querySelector("[data-blank-slot]");
    if (!add || !rows || !blank) { return; }
    add.hidden = false;
    add.addEventListener("click", function () {
      var row = blank.cloneNode(true);
      row.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
      row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
      rows.appendChild(row);
      row.querySelector("select").focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-calendar]").forEach(setupKeys);
    document.querySelectorAll("[data-schedule]").forEach(setupDrag);
    document.querySelectorAll("[data-slots]").forEach(setupSlots);
  });
})();
