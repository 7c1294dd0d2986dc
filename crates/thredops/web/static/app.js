// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Tell people plainly when cookies are off, since sign-in needs one essential cookie.
  var notice = document.getElementById("cookies-off");
  if (notice && !navigator.cookieEnabled) {
    notice.hidden = false;
  }
})();
