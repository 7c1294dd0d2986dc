// Billing forms: post to our own server with fetch, then navigate to the Stripe page it returns.
// (A form post that redirects to Stripe would be blocked by the CSP's form-action in Chromium.)
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const errorBox = document.getElementById("billing-error");
  const showError = (message) => {
    if (!errorBox) return;
    errorBox.textContent = message;
    errorBox.hidden = false;
    errorBox.focus();
  };
  for (const form of document.querySelectorAll("form[data-billing-redirect]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          headers: { Accept: "application/json" },
          body: new URLSearchParams(new FormData(form)),
          credentials: "same-origin",
        });
        const body = await response.json().catch(() => ({}));
        if (response.ok && body.url) {
          window.location.assign(body.url);
          return;
        }
        showError((body.error && body.error.message) || "Something went wrong. Please try again.");
      } catch {
        showError("ThredOps could not be reached. Check your connection and try again.");
      }
      if (button) button.disabled = false;
    });
  }
});
