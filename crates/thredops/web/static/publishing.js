// Schedule pages: a live character counter that counts as Threads does (via the preflight API),
// and uploads for the composer (the calendar's script is calendar.js). No inline code (strict CSP).
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function composition(form) {
    var parts = [];
    ["text", "text2", "text3", "text4"].forEach(function (name, i) {
      var field = form.elements[name];
      if (!field || (i > 0 && !field.value.trim())) { return; }
      parts.push({ text: field.value });
    });
    var link = form.elements.link_attachment.value.trim();
    if (link && parts[0]) { parts[0].link_attachment = link; }
    return { parts: parts };
  }

  function setupCounter(form) {
    var check = debounce(function () {
      fetch("/api/v1/publishing/preflight", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(composition(form))
      }).then(function (r) { return r.json(); }).then(function (report) {
        (report.counts || []).forEach(function (c, i) {
          var name = ["text", "text2", "text3", "text4"][i];
          var out = form.querySelector('[data-counter-for="' + name + '"]');
          if (!out) { return; }
          var over = c.length > c.max_length || c.links > c.max_links;
          out.textContent = c.length + " / " + c.max_length + " characters, " + c.links + " / " + c.max_links + " links";
          out.classList.toggle("field-error", over);
        });
      }).catch(function () {});
    }, 250);
    form.querySelectorAll("[data-count]").forEach(function (el) { el.addEventListener("input", check); });
    check();
  }

  function setupUpload(form) {
    var input = form.querySelector("[data-upload]");
    if (!input) { return; }
    var target = form.elements[input.getAttribute("data-upload")];
    var status = form.querySelector("[data-upload-status]");
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      var ids = target.value ? target.value.split(",") : [];
      status.textContent = "Uploading " + files.length + " file(s)…";
      files.reduce(function (done, file) {
        return done.then(function () {
          return fetch("/api/v1/publishing/media?filename=" + encodeURIComponent(file.name), {
            method: "POST", credentials: "same-origin", body: file
          }).then(function (r) {
            return r.json().then(function (body) {
              if (!r.ok) { throw new Error(body.error && body.error.message || "Upload failed"); }
              ids.push(body.id);
            });
          });
        });
      }, Promise.resolve()).then(function () {
        // Uploaded already: the form must not send the same files again.
        input.value = "";
        target.value = ids.join(",");
        status.textContent = ids.length + " file(s) attached.";
      }).catch(function (e) {
        input.value = "";
        target.value = ids.join(",");
        status.textContent = e.message;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-composer]").forEach(function (form) {
      setupCounter(form);
      setupUpload(form);
    });
  });
})();
