// A session's "Copy diagnostic details": fetches the plain text the server renders (with the
// customer's text only when the box is ticked), shows it in the page and copies it. Without
// this file, or without clipboard access, the same text is in the page's <details> and behind
// "Open as text". No inline script anywhere: the page's CSP is script-src 'self'.
"use strict";

(() => {
  const button = document.getElementById("diagnostics-copy");
  const box = document.getElementById("diagnostics-customer-text");
  const shown = document.getElementById("diagnostics-text");
  const details = document.getElementById("diagnostics-details");
  if (!button || !box || !shown || !details) return;
  const form = button.closest("form");
  const label = button.textContent;

  function address() {
    const url = new URL(form.action, window.location.href);
    if (box.checked) url.searchParams.set("customer_text", "1");
    return url;
  }

  async function load() {
    const response = await fetch(address(), { credentials: "same-origin", headers: { Accept: "text/plain" } });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const text = await response.text();
    shown.textContent = text;
    return text;
  }

  function say(message) {
    button.textContent = message;
    setTimeout(() => { button.textContent = label; }, 2500);
  }

  function selectShown() {
    details.open = true;
    const range = document.createRange();
    range.selectNodeContents(shown);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  button.addEventListener("click", async () => {
    let text;
    try {
      text = await load();
    } catch (_error) {
      say("Could not load: reload the page");
      return;
    }
    try {
      await navigator.clipboard.writeText(text);
      button.dataset.copied = box.checked ? "with-customer-text" : "without-customer-text";
      say("Copied");
    } catch (_error) {
      selectShown();
      say("Press Ctrl+C to copy");
    }
  });

  // What is shown is what would be copied.
  box.addEventListener("change", () => { load().catch(() => {}); });

  button.hidden = false;
})();
