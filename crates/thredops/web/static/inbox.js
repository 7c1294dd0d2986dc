// Inbox: j / k move between items, r writes a reply to the focused one, and choosing a saved
// reply puts its text in the reply box (the form works without this script too: a chosen saved
// reply is sent when the box is empty).
(function () {
  "use strict";
  var items = function () {
    return Array.prototype.slice.call(document.querySelectorAll("article.inbox-item"));
  };
  var typing = function (el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT" || el.isContentEditable);
  };
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(document.activeElement)) {
      return;
    }
    var list = items();
    if (!list.length) {
      return;
    }
    var current = list.indexOf(document.activeElement && document.activeElement.closest ? document.activeElement.closest("article.inbox-item") : null);
    if (e.key === "j" || e.key === "k") {
      var next = e.key === "j" ? Math.min(current + 1, list.length - 1) : Math.max(current - 1, 0);
      list[next].focus();
      e.preventDefault();
    } else if (e.key === "r" && current >= 0) {
      var box = list[current].querySelector("textarea");
      if (box) {
        box.focus();
        e.preventDefault();
      }
    }
  });
  document.addEventListener("change", function (e) {
    var select = e.target;
    if (!select.matches || !select.matches("select[data-saved-for]")) {
      return;
    }
    var option = select.options[select.selectedIndex];
    var box = document.getElementById(select.getAttribute("data-saved-for"));
    if (box && option && option.getAttribute("data-text")) {
      box.value = option.getAttribute("data-text");
    }
  });
})();
