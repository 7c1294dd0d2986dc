// Support chat for customers (the widget) and agents (the console), over a WebSocket to our
// own origin. Every message carries a client id, so a resend after a reconnect is never stored
// twice; after a reconnect the server sends only what came after the last message seen here.
(function () {
  "use strict";

  function socketUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  function clientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function when(unix) {
    return new Date(unix * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // A live connection that reconnects with backoff and resumes after `lastId()`.
  function Live(path, lastId, onFrame, onState) {
    var ws = null;
    var retry = 500;
    var self = this;
    this.open = false;
    function connect() {
      var sep = path.indexOf("?") < 0 ? "?" : "&";
      ws = new WebSocket(socketUrl(path + sep + "after=" + lastId()));
      ws.onopen = function () { retry = 500; self.open = true; onState(true); };
      ws.onmessage = function (ev) {
        try { onFrame(JSON.parse(ev.data)); } catch (e) { /* ignore a malformed frame */ }
      };
      ws.onclose = function () {
        self.open = false;
        onState(false);
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 15000);
      };
    }
    this.send = function (frame) {
      if (ws && self.open) { ws.send(JSON.stringify(frame)); return true; }
      return false;
    };
    connect();
  }

  function renderMessage(log, m, labels) {
    var li = log.querySelector('[data-id="' + m.id + '"]') ||
      (m.client_id && log.querySelector('[data-client-id="' + m.client_id + '"]'));
    if (!li) {
      li = document.createElement("li");
      log.appendChild(li);
    }
    li.className = "support-msg support-msg-" + m.author;
    li.setAttribute("data-id", m.id);
    li.removeAttribute("data-client-id");
    li.textContent = "";
    var meta = document.createElement("p");
    meta.className = "support-meta";
    meta.textContent = labels(m) + " · " + when(m.created_at);
    var body = document.createElement("p");
    body.className = "support-body";
    body.textContent = m.body;
    li.appendChild(meta);
    if (m.attachment) li.appendChild(thumbnail(m.attachment));
    li.appendChild(body);
    log.scrollTop = log.scrollHeight;
  }

  // A message's image, shown small and opened full size in a new tab.
  function thumbnail(a) {
    var link = document.createElement("a");
    link.className = "support-thumb-link";
    link.href = a.url;
    link.target = "_blank";
    link.rel = "noopener";
    var img = document.createElement("img");
    img.className = "support-thumb";
    img.src = a.url;
    img.alt = a.file_name;
    img.width = a.width;
    img.height = a.height;
    link.appendChild(img);
    return link;
  }

  var MAX_IMAGE_BYTES = 8 * 1024 * 1024;

  // The checks the server makes first, so an obvious mistake is explained at once; the server
  // checks again (type from the bytes, size, shape) and its reason is shown the same way.
  function imageProblem(file) {
    if (file.type !== "image/jpeg" && file.type !== "image/png") return "Attach a JPEG or PNG image; this file is neither.";
    if (file.size > MAX_IMAGE_BYTES) return "Images can be at most 8 MB; this one is larger.";
    return "";
  }

  // Sends `file` as the raw body; resolves with the stored message or rejects with the reason.
  function uploadImage(url, file) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": file.type || "application/octet-stream" }, body: file })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }, function () { return { ok: false, body: null }; }); })
      .then(function (res) {
        if (res.ok) return res.body;
        var e = res.body && res.body.error;
        throw new Error((e && e.fields && e.fields.file) || (e && e.message) || "The image could not be sent. Please try again.");
      });
  }

  function showFieldError(el, input, text) {
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
    if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  }

  function typingSender(send) {
    var last = 0;
    var timer = null;
    return function () {
      var now = Date.now();
      if (now - last > 2500) { send(true); last = now; }
      clearTimeout(timer);
      timer = setTimeout(function () { send(false); last = 0; }, 3000);
    };
  }

  // ---- Customer widget ----
  function widget(root) {
    var inline = root.hasAttribute("data-inline");
    var panel = root.querySelector("[data-panel]");
    var launcher = root.querySelector("[data-launcher]");
    var badge = root.querySelector("[data-badge]");
    var log = root.querySelector("[data-log]");
    var presence = root.querySelector("[data-presence]");
    var typing = root.querySelector("[data-typing]");
    var offline = root.querySelector("[data-offline]");
    var compose = root.querySelector("[data-compose]");
    var errorEl = root.querySelector("[data-error]");
    var maxId = 0, unread = 0, started = false, live = null, emailSaved = false;
    var pending = {};
    root.hidden = false;

    function visible() { return inline || !panel.hidden; }
    function setBadge() {
      if (!badge) return;
      badge.textContent = unread;
      badge.hidden = unread === 0;
    }
    function showError(text) { errorEl.textContent = text || ""; errorEl.hidden = !text; }
    function setPresence(online) {
      presence.textContent = online ? "We are online and usually reply in a few minutes." : "Nobody is online right now.";
      offline.hidden = online || emailSaved;
    }
    function markRead() {
      if (visible() && maxId > 0 && live) { live.send({ type: "read", up_to: maxId }); unread = 0; setBadge(); }
    }
    function labels(m) { return m.author === "customer" ? "You" : (m.agent_name || "Support"); }
    function add(m) {
      if (m.id > maxId) maxId = m.id;
      if (m.client_id) delete pending[m.client_id];
      renderMessage(log, m, labels);
    }
    function flush() {
      Object.keys(pending).forEach(function (id) { live.send({ type: "send", body: pending[id], client_id: id }); });
    }
    function onFrame(f) {
      if (f.type === "hello") { setPresence(f.agents_online); flush(); markRead(); }
      else if (f.type === "message") {
        add(f.message);
        if (f.message.author === "agent") {
          typing.hidden = true;
          if (visible()) markRead(); else { unread += 1; setBadge(); }
        }
      }
      else if (f.type === "typing") typing.hidden = !f.typing;
      else if (f.type === "presence") setPresence(f.agents_online);
      else if (f.type === "read") {
        log.querySelectorAll(".support-msg-customer").forEach(function (li) {
          if (Number(li.getAttribute("data-id")) <= f.up_to) li.classList.add("support-seen");
        });
      }
      else if (f.type === "error") {
        showError(f.message);
        if (f.code === "rate_limited" && f.client_id && pending[f.client_id]) {
          setTimeout(function () { live.send({ type: "send", body: pending[f.client_id], client_id: f.client_id }); }, 2000);
        } else if (f.client_id && pending[f.client_id]) {
          compose.body.value = pending[f.client_id];
          delete pending[f.client_id];
          var li = log.querySelector('[data-client-id="' + f.client_id + '"]');
          if (li) li.remove();
        }
      }
    }
    function start() {
      if (started) return;
      started = true;
      fetch("/api/v1/support/chat", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: "{}" })
        .then(function (r) { if (!r.ok) throw new Error(); return r.json(); })
        .then(function (chat) {
          chat.messages.forEach(add);
          unread = chat.unread; setBadge();
          if (chat.email) { offline.email.value = chat.email; }
          setPresence(chat.agents_online);
          live = new Live("/api/v1/support/chat/socket", function () { return maxId; }, onFrame, function (up) {
            if (!up) presence.textContent = "Reconnecting…";
          });
        })
        .catch(function () { started = false; presence.textContent = "The chat is unavailable. Please try again shortly."; });
    }
    compose.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = compose.body.value.trim();
      if (!text) { showError("Write a message first."); return; }
      if (text.length > 4000) { showError("Messages can be at most 4000 characters."); return; }
      showError("");
      var id = clientId();
      pending[id] = text;
      var li = document.createElement("li");
      li.className = "support-msg support-msg-customer support-pending";
      li.setAttribute("data-client-id", id);
      li.textContent = text;
      log.appendChild(li);
      compose.body.value = "";
      if (live) live.send({ type: "send", body: text, client_id: id });
    });
    var attach = root.querySelector("[data-attach]");
    var fileInput = attach && attach.querySelector("[data-file]");
    var fileError = attach && attach.querySelector("[data-file-error]");
    if (fileInput) {
      attach.addEventListener("submit", function (ev) { ev.preventDefault(); });
      fileInput.addEventListener("change", function () {
        var file = fileInput.files[0];
        if (!file) return;
        var problem = imageProblem(file);
        if (problem) { showFieldError(fileError, fileInput, problem); fileInput.value = ""; return; }
        showFieldError(fileError, fileInput, "");
        var id = clientId();
        var li = document.createElement("li");
        li.className = "support-msg support-msg-customer support-pending";
        li.setAttribute("data-client-id", id);
        li.textContent = "Sending " + file.name + "…";
        log.appendChild(li);
        uploadImage("/api/v1/support/chat/attachments?filename=" + encodeURIComponent(file.name) + "&client_id=" + id, file)
          .then(function (m) { add(m); fileInput.value = ""; })
          .catch(function (e) { li.remove(); fileInput.value = ""; showFieldError(fileError, fileInput, e.message); });
      });
    }
    compose.body.addEventListener("input", typingSender(function (on) { if (live) live.send({ type: "typing", typing: on }); }));
    compose.body.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); compose.requestSubmit(); }
    });
    offline.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var err = offline.querySelector("[data-email-error]");
      fetch("/api/v1/support/chat/email", { method: "PUT", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: offline.email.value }) })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (res) {
          if (res.ok) { emailSaved = true; err.hidden = true; offline.querySelector("[data-email-saved]").hidden = false; }
          else { err.textContent = (res.body.error.fields && res.body.error.fields.email) || res.body.error.message; err.hidden = false; }
        });
    });
    if (launcher) {
      launcher.addEventListener("click", function () {
        panel.hidden = !panel.hidden;
        launcher.setAttribute("aria-expanded", String(!panel.hidden));
        if (!panel.hidden) { start(); markRead(); compose.body.focus(); }
      });
      root.querySelector("[data-close]").addEventListener("click", function () { launcher.click(); });
    }
    // Signed-in people see their unread badge at once; visitors get no cookie until they open it.
    if (inline || root.hasAttribute("data-signed-in") || location.hash === "#support-chat") start();
    if (location.hash === "#support-chat" && launcher) launcher.click();
  }

  // ---- Agent console ----
  function console_(root) {
    var current = root.getAttribute("data-conversation");
    var maxId = Number(root.getAttribute("data-last-id") || 0);
    var log = root.querySelector("[data-log]");
    var typing = root.querySelector("[data-typing]");
    var seen = root.querySelector("[data-seen]");
    var form = root.querySelector("[data-agent-compose]");
    var suggest = root.querySelector("[data-suggest]");
    var sendError = root.querySelector("[data-send-error]");
    // Replies sent but not yet stored, by client id: a refusal puts the text back.
    var pending = {};
    var live = null;
    function showSendError(text) { if (sendError) { sendError.textContent = text || ""; sendError.hidden = !text; } }
    function labels(m) {
      if (m.author === "customer") return "Customer";
      if (m.author === "note") return "Private note · " + (m.agent_name || "");
      return m.agent_name || "Support";
    }
    function row(id) { return document.querySelector('[data-row="' + id + '"]'); }
    function onFrame(f) {
      if (f.type === "resync") { if (!form || !form.body.value) location.reload(); return; }
      if (f.type === "error" && f.client_id && pending[f.client_id]) {
        var p = pending[f.client_id];
        delete pending[f.client_id];
        if (form && !form.body.value) { form.body.value = p.body; form["private"].checked = p.isPrivate; }
        showSendError(f.message);
        if (form) form.body.focus();
        return;
      }
      if (f.type === "message") {
        var m = f.message;
        if (m.client_id && pending[m.client_id]) { delete pending[m.client_id]; showSendError(""); }
        if (m.conversation_id === current && log) {
          if (m.id > maxId) maxId = m.id;
          renderMessage(log, m, labels);
          if (m.author === "customer") { typing.hidden = true; live.send({ type: "read", conversation_id: current, up_to: m.id }); }
        } else if (m.author === "customer") {
          var r = row(m.conversation_id);
          var b = r && r.querySelector("[data-unread]");
          if (b) { b.textContent = Number(b.textContent || 0) + 1; b.hidden = false; }
          var fresh = root.querySelector("[data-new-conversations]");
          if (!r && fresh) {
            // A conversation this inbox does not list yet: offer it, keeping what is being typed.
            var link = fresh.querySelector("a");
            link.href = "/app/support/console?c=" + encodeURIComponent(m.conversation_id);
            link.textContent = "New message from a conversation not listed here: open it";
            fresh.hidden = false;
          }
        }
      } else if (f.type === "typing" && f.conversation_id === current && typing) typing.hidden = !f.typing;
      else if (f.type === "read" && f.conversation_id === current && seen) seen.hidden = false;
      else if (f.type === "conversation") {
        var s = row(f.conversation_id);
        var st = s && s.querySelector("[data-status]");
        if (st) { st.textContent = f.status; st.className = "badge support-status-" + f.status; }
      }
    }
    live = new Live("/api/v1/support/console/socket", function () { return 0; }, onFrame, function () {});
    var attach = root.querySelector("[data-agent-attach]");
    if (attach) {
      var fileInput = attach.file;
      var fileError = attach.querySelector("[data-attach-error]");
      attach.addEventListener("submit", function (ev) {
        var file = fileInput.files[0];
        ev.preventDefault();
        if (!file) { showFieldError(fileError, fileInput, "Choose an image first."); return; }
        var problem = imageProblem(file);
        if (problem) { showFieldError(fileError, fileInput, problem); return; }
        showFieldError(fileError, fileInput, "");
        var url = "/api/v1/support/conversations/" + encodeURIComponent(current) + "/attachments?filename=" +
          encodeURIComponent(file.name) + (attach["private"].checked ? "&private=true" : "");
        uploadImage(url, file)
          .then(function (m) {
            if (log && m.id > maxId) { maxId = m.id; renderMessage(log, m, labels); }
            fileInput.value = "";
            attach["private"].checked = false;
          })
          .catch(function (e) { showFieldError(fileError, fileInput, e.message); });
      });
    }
    if (!form) return;
    if (current && maxId) setTimeout(function () { live.send({ type: "read", conversation_id: current, up_to: maxId }); }, 500);
    var canned = Array.prototype.map.call(document.querySelectorAll("[data-canned] [data-shortcut]"), function (li) {
      return { shortcut: li.getAttribute("data-shortcut"), body: li.getAttribute("data-body") };
    });
    form.body.addEventListener("input", function () {
      var v = form.body.value;
      suggest.textContent = "";
      var matches = v.charAt(0) === "/" ? canned.filter(function (c) { return ("/" + c.shortcut).indexOf(v.split(/\s/)[0]) === 0; }) : [];
      matches.forEach(function (c) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.className = "button button-quiet";
        b.textContent = "/" + c.shortcut + " — " + c.body.slice(0, 80);
        b.addEventListener("click", function () { form.body.value = c.body; suggest.hidden = true; form.body.focus(); });
        li.appendChild(b);
        suggest.appendChild(li);
      });
      suggest.hidden = matches.length === 0;
    });
    form.body.addEventListener("input", typingSender(function (on) { live.send({ type: "typing", conversation_id: current, typing: on }); }));
    form.addEventListener("submit", function (ev) {
      var text = form.body.value.trim();
      if (!text || !live.open) return; // the plain form post still works
      ev.preventDefault();
      var id = clientId();
      pending[id] = { body: form.body.value, isPrivate: form["private"].checked };
      live.send({ type: "send", conversation_id: current, body: text, client_id: id, "private": form["private"].checked });
      showSendError("");
      form.body.value = "";
      form["private"].checked = false;
      suggest.hidden = true;
    });
  }

  var w = document.querySelector("[data-support-widget]");
  if (w) widget(w);
  var c = document.querySelector("[data-support-console]");
  if (c) console_(c);
})();
