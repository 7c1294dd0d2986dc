// Schedule pages: a live character counter that counts as Threads does (via the preflight API),
// uploads and a live preview for the composer (the calendar's script is calendar.js). No inline
// code (strict CSP).
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

  // "1 image", "2 images".
  function countOf(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // What is attached, in words (the same as the page says without scripts).
  function mediaSummary(items) {
    var images = items.filter(function (m) { return m.kind === "image"; }).length;
    var videos = items.length - images;
    var said = [];
    if (images) { said.push(countOf(images, "image", "images")); }
    if (videos) { said.push(countOf(videos, "video", "videos")); }
    if (!items.length) { return "No files attached."; }
    return said.join(" and ") + (items.length > 1 ? " attached (a carousel)." : " attached.");
  }

  function attachedMedia(form) {
    return Array.prototype.map.call(form.querySelectorAll("[data-media-list] li"), function (li) {
      return { id: li.getAttribute("data-media-id"), kind: li.getAttribute("data-kind"), url: li.getAttribute("data-url"), name: li.getAttribute("data-name") };
    });
  }

  function listMedia(form, upload) {
    var list = form.querySelector("[data-media-list]");
    var li = document.createElement("li");
    li.setAttribute("data-media-id", upload.id);
    li.setAttribute("data-kind", upload.kind);
    li.setAttribute("data-url", "/app/schedule/media/" + encodeURIComponent(upload.id));
    li.setAttribute("data-name", upload.file_name);
    li.textContent = upload.file_name + " ";
    var kind = document.createElement("span");
    kind.className = "help";
    kind.textContent = "(" + upload.kind + ")";
    li.appendChild(kind);
    list.appendChild(li);
  }

  function setupUpload(form, changed) {
    var input = form.querySelector("[data-upload]");
    if (!input) { return; }
    var target = form.elements[input.getAttribute("data-upload")];
    var status = form.querySelector("[data-upload-status]");
    var error = form.querySelector("[data-upload-error]");
    function showError(text) {
      error.textContent = text;
      error.hidden = !text;
      if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    }
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      if (!files.length) { return; }
      var ids = target.value ? target.value.split(",") : [];
      showError("");
      status.textContent = "Uploading " + countOf(files.length, "file", "files") + "…";
      files.reduce(function (done, file) {
        return done.then(function () {
          return fetch("/api/v1/publishing/media?filename=" + encodeURIComponent(file.name), {
            method: "POST", credentials: "same-origin", body: file
          }).then(function (r) {
            return r.json().then(function (body) {
              if (!r.ok) {
                var e = body.error || {};
                throw new Error(file.name + ": " + ((e.fields && e.fields.file) || e.message || "the upload failed."));
              }
              ids.push(body.id);
              listMedia(form, body);
              target.value = ids.join(",");
              changed();
            });
          });
        });
      }, Promise.resolve()).then(function () {
        // Uploaded already: the form must not send the same files again.
        input.value = "";
        status.textContent = mediaSummary(attachedMedia(form));
      }).catch(function (e) {
        input.value = "";
        status.textContent = mediaSummary(attachedMedia(form));
        showError(e.message);
      });
    });
  }

  // Only the chain parts in use are shown; "Add a part" reveals the next. Without scripts every
  // box shows, and empty ones are ignored.
  function setupParts(form, changed) {
    var fields = Array.prototype.slice.call(form.querySelectorAll("[data-part-field]"));
    var add = form.querySelector("[data-add-part]");
    if (!add || !fields.length) { return; }
    var last = -1;
    fields.forEach(function (f, i) { if (f.hasAttribute("data-used")) { last = i; } });
    fields.forEach(function (f, i) { f.hidden = i > last; });
    function label() {
      var next = fields.filter(function (f) { return f.hidden; })[0];
      add.hidden = !next;
      if (next) { add.textContent = "Add a part (part " + (fields.indexOf(next) + 2) + " of " + (fields.length + 1) + ")"; }
    }
    add.addEventListener("click", function () {
      var next = fields.filter(function (f) { return f.hidden; })[0];
      if (!next) { return; }
      next.hidden = false;
      next.querySelector("textarea").focus();
      label();
      changed();
    });
    label();
  }

  function element(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (text) { el.textContent = text; }
    return el;
  }

  function firstLink(text) {
    var m = /https?:\/\/[^\s<>"]+/i.exec(text || "");
    return m ? m[0].replace(/[.,;:!?)\]]+$/, "") : "";
  }

  function linkCard(url) {
    var card = element("div", "pub-preview-link");
    var host = url;
    try { host = new URL(url).hostname.replace(/^www\./, ""); } catch (e) { /* shown as typed */ }
    card.appendChild(element("span", "pub-preview-link-host", host));
    card.appendChild(element("span", "pub-preview-link-url", url));
    return card;
  }

  function mediaStrip(items) {
    var strip = element("ol", "pub-preview-media" + (items.length > 1 ? " pub-preview-carousel" : ""));
    strip.setAttribute("aria-label", items.length > 1 ? "Carousel of " + countOf(items.length, "item", "items") : "Attached media");
    items.forEach(function (m, i) {
      var li = element("li", "pub-preview-item");
      if (m.kind === "image") {
        var img = document.createElement("img");
        img.src = m.url;
        img.alt = (items.length > 1 ? (i + 1) + " of " + items.length + ": " : "") + m.name;
        img.setAttribute("data-media-id", m.id);
        li.appendChild(img);
      } else {
        var tile = element("span", "pub-preview-video", "▶ Video: " + m.name);
        tile.setAttribute("data-media-id", m.id);
        li.appendChild(tile);
      }
      strip.appendChild(li);
    });
    return strip;
  }

  // A live preview shaped like a Threads post: author, text with its line breaks, media in
  // carousel order, a card for the first link, and chain parts as a connected thread.
  function setupPreview(form) {
    var preview = document.querySelector("[data-preview]");
    if (!preview) { return function () {}; }
    var thread = preview.querySelector("[data-preview-thread]");
    var summary = preview.querySelector("[data-preview-summary]");
    preview.hidden = false;
    function render() {
      var select = form.elements.profile_id;
      var option = select && select.options[select.selectedIndex];
      var author = option ? option.textContent.replace(/^@/, "") : "your_profile";
      var texts = ["text", "text2", "text3", "text4"].map(function (name, i) {
        var field = form.elements[name];
        if (!field || (i > 0 && (!field.value.trim() || field.closest("[hidden]")))) { return null; }
        return field.value;
      }).filter(function (t) { return t !== null; });
      var media = attachedMedia(form);
      var poll = form.elements.poll ? form.elements.poll.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean) : [];
      thread.textContent = "";
      texts.forEach(function (text, i) {
        var post = element("li", "pub-preview-post");
        post.setAttribute("data-preview-part", String(i + 1));
        var avatar = element("span", "pub-preview-avatar", author.charAt(0).toUpperCase());
        avatar.setAttribute("aria-hidden", "true");
        post.appendChild(avatar);
        var body = element("div", "pub-preview-body");
        body.appendChild(element("p", "pub-preview-author", author));
        var shown = element("p", "pub-preview-text", text);
        if (!text.trim()) { shown.textContent = i === 0 ? "Start writing and your post appears here." : ""; shown.classList.add("muted"); }
        body.appendChild(shown);
        var hasMedia = i === 0 && media.length > 0;
        if (hasMedia) { body.appendChild(mediaStrip(media)); }
        if (i === 0 && poll.length) {
          var list = element("ul", "pub-preview-poll");
          poll.forEach(function (o) { list.appendChild(element("li", "", o)); });
          body.appendChild(list);
        }
        var link = (i === 0 && form.elements.link_attachment.value.trim()) || firstLink(text);
        if (link && !hasMedia) { body.appendChild(linkCard(link)); }
        post.appendChild(body);
        thread.appendChild(post);
      });
      var words = [countOf(texts.length, "part", "parts")];
      var images = media.filter(function (m) { return m.kind === "image"; }).length;
      if (images) { words.push(countOf(images, "image", "images")); }
      if (media.length - images) { words.push(countOf(media.length - images, "video", "videos")); }
      summary.textContent = words.join(", ");
    }
    form.addEventListener("input", render);
    form.addEventListener("change", render);
    render();
    return render;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-composer]").forEach(function (form) {
      var changed = function () {};
      setupParts(form, function () { changed(); });
      changed = setupPreview(form);
      setupCounter(form);
      setupUpload(form, changed);
    });
  });
})();
